// The i386 layout of a GNU Mach message (docs/gnumach.md §1.1, §1.2): a 24-byte header
// followed by typed items, all little-endian 32-bit words, 4-byte aligned.

/// Offsets and bit fields of `mach_msg_header_t`.
public enum MsgHeader {
  public static let size = 24
  public static let bitsOffset = 0
  public static let sizeOffset = 4
  public static let remoteOffset = 8
  public static let localOffset = 12
  public static let seqnoOffset = 16
  public static let idOffset = 20

  public static let remoteMask: UInt32 = 0x0000_00ff
  public static let localMask: UInt32 = 0x0000_ff00
  public static let complexBit: UInt32 = 0x8000_0000
  public static let circularBit: UInt32 = 0x4000_0000
  /// Bits other than the two dispositions (complex, circular, unused...).
  public static let otherMask: UInt32 = 0xffff_0000

  /// `MACH_MSGH_BITS(remote, local)`, plus the complex bit when asked.
  @inlinable public static func bits(remote: UInt32, local: UInt32, complex: Bool = false) -> UInt32 {
    (remote & 0xff) | ((local & 0xff) << 8) | (complex ? complexBit : 0)
  }
  @inlinable public static func remote(_ bits: UInt32) -> UInt32 { bits & remoteMask }
  @inlinable public static func local(_ bits: UInt32) -> UInt32 { (bits & localMask) >> 8 }
}

extension Array where Element == UInt8 {
  /// Reads a little-endian 32-bit word at `offset` (traps if it is not inside the array).
  @inlinable @inline(__always)
  public func word(at offset: Int) -> UInt32 {
    precondition(offset >= 0 && offset <= count &- 4, "word outside the message")
    return withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
  }

  /// Writes a little-endian 32-bit word at `offset` (traps if it is not inside the array).
  @inlinable @inline(__always)
  public mutating func setWord(_ value: UInt32, at offset: Int) {
    precondition(offset >= 0 && offset <= count &- 4, "word outside the message")
    withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self) }
  }

  @inlinable @inline(__always)
  public mutating func appendWord(_ value: UInt32) {
    append(UInt8(truncatingIfNeeded: value))
    append(UInt8(truncatingIfNeeded: value >> 8))
    append(UInt8(truncatingIfNeeded: value >> 16))
    append(UInt8(truncatingIfNeeded: value >> 24))
  }

  /// Writes `words` as consecutive little-endian words from `offset` (traps outside the array).
  @inlinable
  public mutating func setWords(_ words: [UInt32], at offset: Int) {
    precondition(offset >= 0 && offset + 4 * words.count <= count, "words outside the message")
    withUnsafeMutableBytes { raw in
      for (i, w) in words.enumerated() {
        raw.storeBytes(of: w.littleEndian, toByteOffset: offset + 4 * i, as: UInt32.self)
      }
    }
  }

  /// Copies `source[0..<length]` to the start of this array, growing it if needed but never
  /// shrinking it: a reused buffer keeps its storage, and its readers go by `msgh_size`.
  @inlinable
  public mutating func overwritePrefix(with source: [UInt8], length: Int) {
    precondition(length >= 0 && length <= source.count)
    if count < length { append(contentsOf: repeatElement(0, count: length - count)) }
    withUnsafeMutableBytes { dst in
      source.withUnsafeBytes { src in
        dst.baseAddress!.copyMemory(from: src.baseAddress!, byteCount: length)
      }
    }
  }

  /// Writes a header's bits, remote and local words in one access.
  @inlinable @inline(__always)
  public mutating func setHeaderPorts(bits: UInt32, remote: UInt32, local: UInt32) {
    precondition(count >= MsgHeader.size)
    withUnsafeMutableBytes {
      $0.storeBytes(of: bits.littleEndian, toByteOffset: MsgHeader.bitsOffset, as: UInt32.self)
      $0.storeBytes(of: remote.littleEndian, toByteOffset: MsgHeader.remoteOffset, as: UInt32.self)
      $0.storeBytes(of: local.littleEndian, toByteOffset: MsgHeader.localOffset, as: UInt32.self)
    }
  }
}

/// Writes little-endian words one after another into a buffer that has room for them (a
/// message being built in place, in one access to its storage).
public struct WordWriter {
  private let raw: UnsafeMutableRawBufferPointer
  public private(set) var offset = 0

  public init(_ raw: UnsafeMutableRawBufferPointer) { self.raw = raw }

  @inline(__always)
  public mutating func put(_ word: UInt32) {
    precondition(offset >= 0 && offset <= raw.count &- 4, "word outside the message")
    raw.storeBytes(of: word.littleEndian, toByteOffset: offset, as: UInt32.self)
    offset += 4
  }

  /// A whole header, with msgh_seqno 0.
  @inline(__always)
  public mutating func header(bits: UInt32, size: UInt32, remote: UInt32, local: UInt32, id: Int32) {
    put(bits)
    put(size)
    put(remote)
    put(local)
    put(0)
    put(UInt32(bitPattern: id))
  }
}

/// A `mach_msg_type_t` or `mach_msg_type_long_t`, decoded.
public struct TypeDescriptor: Equatable, Sendable {
  public var name: UInt32
  /// Element size in bits.
  public var size: UInt32
  public var number: UInt32
  public var isInline: Bool
  public var isLongForm: Bool
  public var deallocate: Bool

  public init(
    name: UInt32, size: UInt32, number: UInt32, isInline: Bool = true,
    longForm: Bool? = nil, deallocate: Bool = false
  ) {
    self.name = name
    self.size = size
    self.number = number
    self.isInline = isInline
    self.isLongForm = longForm ?? (number > 4095 || name > 255 || size > 255)
    self.deallocate = deallocate
  }

  /// Bytes the descriptor itself takes: 4, or 12 in the long form.
  public var descriptorLength: Int { isLongForm ? 12 : 4 }

  /// Bytes of data the item carries inline before padding: ceil(number × size / 8).
  public var inlineDataLength: Int { Int((UInt64(number) * UInt64(size) + 7) / 8) }

  /// Bytes the item's data takes in the body: the padded inline data, or one 4-byte address.
  public var bodyDataLength: Int { isInline ? (inlineDataLength + 3) & ~3 : 4 }

  public var isPort: Bool { MsgType.isPort(name) }

  /// Appends the encoded descriptor.
  public func encode(into bytes: inout [UInt8]) {
    let flags: UInt32 = (isInline ? 1 << 28 : 0) | (deallocate ? 1 << 30 : 0)
    if isLongForm {
      bytes.appendWord(flags | 1 << 29)
      bytes.appendWord((name & 0xffff) | (size & 0xffff) << 16)
      bytes.appendWord(number)
    } else {
      bytes.appendWord((name & 0xff) | (size & 0xff) << 8 | (number & 0xfff) << 16 | flags)
    }
  }

  /// Why a descriptor could not be read.
  public enum ParseError: Error, Equatable, Sendable {
    /// The descriptor or its data runs past the end of the message (MACH_SEND_MSG_TOO_SMALL).
    case truncated
    /// A field that must be zero is not (MACH_SEND_INVALID_TYPE).
    case invalid
  }

  /// Reads the descriptor at `offset`, checking what `ipc_kmsg_copyin_body` checks: a long form
  /// whose short header carries a name, size or number; a set `msgt_unused` bit; a port type
  /// whose size is not 32; `deallocate` on inline data. Also checks that the item's data fits
  /// before `end`.
  public static func parse(_ bytes: [UInt8], at offset: Int, end: Int) -> Result<TypeDescriptor, ParseError> {
    guard offset + 4 <= end else { return .failure(.truncated) }
    let word = bytes.word(at: offset)
    let isInline = word & (1 << 28) != 0
    let isLong = word & (1 << 29) != 0
    let dealloc = word & (1 << 30) != 0
    if word & (1 << 31) != 0 { return .failure(.invalid) }
    var descriptor: TypeDescriptor
    if isLong {
      guard offset + 12 <= end else { return .failure(.truncated) }
      if word & 0x0fff_ffff != 0 { return .failure(.invalid) }
      let nameSize = bytes.word(at: offset + 4)
      descriptor = TypeDescriptor(
        name: nameSize & 0xffff, size: nameSize >> 16, number: bytes.word(at: offset + 8),
        isInline: isInline, longForm: true, deallocate: dealloc)
    } else {
      descriptor = TypeDescriptor(
        name: word & 0xff, size: (word >> 8) & 0xff, number: (word >> 16) & 0xfff,
        isInline: isInline, longForm: false, deallocate: dealloc)
    }
    if descriptor.isPort && descriptor.size != 32 { return .failure(.invalid) }
    if descriptor.isInline && descriptor.deallocate { return .failure(.invalid) }
    let dataEnd = offset + descriptor.descriptorLength + descriptor.bodyDataLength
    guard descriptor.inlineDataLength <= Int(Int32.max), dataEnd <= end else {
      return .failure(.truncated)
    }
    return .success(descriptor)
  }
}
