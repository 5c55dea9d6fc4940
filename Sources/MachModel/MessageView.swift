/// One typed item of a message body, decoded.
public struct MessageItem: Equatable, Sendable {
  public var descriptor: TypeDescriptor
  /// Offset of the item's data (inline bytes, or the 4-byte out-of-line address).
  public var dataOffset: Int
  /// The inline data, unpadded; for an out-of-line item, its 4 address bytes.
  public var data: [UInt8]

  /// The 32-bit words of the data (port names, INTEGER_32 values, an OOL address).
  public var words: [UInt32] {
    stride(from: 0, to: data.count - 3, by: 4).map { data.word(at: $0) }
  }
}

/// A read-only view of a message in user form: header fields and typed items.
public struct MessageView: Sendable {
  public let bytes: [UInt8]

  /// Wraps `bytes`; nil when they are shorter than a header.
  public init?(_ bytes: [UInt8]) {
    guard bytes.count >= MsgHeader.size else { return nil }
    self.bytes = bytes
  }

  public var bits: UInt32 { bytes.word(at: MsgHeader.bitsOffset) }
  public var size: UInt32 { bytes.word(at: MsgHeader.sizeOffset) }
  public var remotePort: PortName { bytes.word(at: MsgHeader.remoteOffset) }
  public var localPort: PortName { bytes.word(at: MsgHeader.localOffset) }
  public var seqno: UInt32 { bytes.word(at: MsgHeader.seqnoOffset) }
  public var id: Int32 { Int32(bitPattern: bytes.word(at: MsgHeader.idOffset)) }
  public var remoteBits: UInt32 { MsgHeader.remote(bits) }
  public var localBits: UInt32 { MsgHeader.local(bits) }
  public var isComplex: Bool { bits & MsgHeader.complexBit != 0 }

  /// The typed items of the body, read up to `msgh_size` (or the bytes present, if fewer).
  public func items() -> Result<[MessageItem], TypeDescriptor.ParseError> {
    let end = min(Int(size), bytes.count)
    var offset = MsgHeader.size
    var result: [MessageItem] = []
    while offset < end {
      switch TypeDescriptor.parse(bytes, at: offset, end: end) {
      case .failure(let error): return .failure(error)
      case .success(let d):
        let dataOffset = offset + d.descriptorLength
        let length = d.isInline ? d.inlineDataLength : 4
        result.append(
          MessageItem(descriptor: d, dataOffset: dataOffset, data: Array(bytes[dataOffset..<dataOffset + length])))
        offset = dataOffset + d.bodyDataLength
      }
    }
    return .success(result)
  }
}
