/// Builds a message in user form, item by item, as MIG would encode it (docs/gnumach.md §1.2):
/// each item a type descriptor and its data padded to 4 bytes; out-of-line items a long-form
/// descriptor and a 4-byte address. `finish()` sets `msgh_size` and the complex bit.
public struct MessageBuilder: Sendable {
  public private(set) var bytes: [UInt8]
  private var complex = false

  /// A message with only a header so far. It is written into `buffer`, whose contents are
  /// dropped and whose storage is reused when nothing else holds it.
  public init(
    remote: PortName, remoteDisposition: UInt32, local: PortName = MachPort.null,
    localDisposition: UInt32 = 0, id: Int32, reusing buffer: consuming [UInt8] = []
  ) {
    bytes = consume buffer
    bytes.removeAll(keepingCapacity: true)
    bytes.reserveCapacity(64)
    bytes.appendWord(MsgHeader.bits(remote: remoteDisposition, local: localDisposition))
    bytes.appendWord(UInt32(MsgHeader.size))
    bytes.appendWord(remote)
    bytes.appendWord(local)
    bytes.appendWord(0)
    bytes.appendWord(UInt32(bitPattern: id))
  }

  /// Appends a descriptor and its raw data (padded to 4 bytes).
  public mutating func append(_ descriptor: TypeDescriptor, data: [UInt8]) {
    descriptor.encode(into: &bytes)
    bytes.append(contentsOf: data)
    while bytes.count % 4 != 0 { bytes.append(0) }
    if descriptor.isPort || !descriptor.isInline { complex = true }
  }

  public mutating func int32(_ values: [Int32]) {
    words(MsgType.integer32, values.map { UInt32(bitPattern: $0) })
  }

  /// One descriptor of 32-bit elements named `name`, and the words.
  public mutating func words(_ name: UInt32, _ values: [UInt32]) {
    TypeDescriptor(name: name, size: 32, number: UInt32(values.count)).encode(into: &bytes)
    for v in values { bytes.appendWord(v) }
    if MsgType.isPort(name) { complex = true }
  }

  /// One 32-bit element named `name` (an INTEGER_32, a PORT_NAME, a right...).
  public mutating func word(_ name: UInt32, _ value: UInt32) {
    bytes.appendWord((name & 0xff) | 32 << 8 | 1 << 16 | 1 << 28)
    bytes.appendWord(value)
    if MsgType.isPort(name) { complex = true }
  }

  public mutating func int64(_ values: [Int64]) {
    var data: [UInt8] = []
    for v in values {
      data.appendWord(UInt32(truncatingIfNeeded: v))
      data.appendWord(UInt32(truncatingIfNeeded: v >> 32))
    }
    append(TypeDescriptor(name: MsgType.integer64, size: 64, number: UInt32(values.count)), data: data)
  }

  /// MACH_MSG_TYPE_BYTE, size 8; the long form when more than 4095 bytes.
  public mutating func byteArray(_ data: [UInt8]) {
    append(TypeDescriptor(name: MsgType.byte, size: 8, number: UInt32(data.count)), data: data)
  }

  /// MACH_MSG_TYPE_STRING, size 8, number = length + 1 for the NUL.
  public mutating func string(_ text: String) {
    var data = Array(text.utf8)
    data.append(0)
    append(TypeDescriptor(name: MsgType.string, size: 8, number: UInt32(data.count)), data: data)
  }

  /// Port rights (or bare names with MACH_MSG_TYPE_PORT_NAME), one descriptor for all.
  public mutating func ports(_ names: [PortName], disposition: UInt32) {
    words(disposition, names)
  }

  /// Out-of-line bytes at `address` in the sender's map: a long-form BYTE descriptor, not inline.
  public mutating func outOfLine(address: UInt32, size: UInt32, deallocate: Bool = false) {
    let descriptor = TypeDescriptor(
      name: MsgType.byte, size: 8, number: size, isInline: false, longForm: true,
      deallocate: deallocate)
    var data: [UInt8] = []
    data.appendWord(address)
    append(descriptor, data: data)
  }

  /// An out-of-line array of `count` port names at `address` in the sender's map, each sent
  /// with `disposition`: a long-form descriptor of 32-bit elements, not inline.
  public mutating func outOfLinePorts(address: UInt32, count: UInt32, disposition: UInt32) {
    let descriptor = TypeDescriptor(name: disposition, size: 32, number: count, isInline: false, longForm: true)
    var data: [UInt8] = []
    data.appendWord(address)
    append(descriptor, data: data)
  }

  /// The finished message: `msgh_size` is the byte count, and the complex bit is set when an
  /// item carries rights or out-of-line memory.
  public consuming func finish() -> [UInt8] { takeMessage() }

  /// `finish()` for a builder that stays in a variable: the message's storage moves out,
  /// uncopied, and the builder is left empty.
  public mutating func takeMessage() -> [UInt8] {
    var message: [UInt8] = []
    swap(&message, &bytes)
    message.setWord(UInt32(message.count), at: MsgHeader.sizeOffset)
    if complex {
      message.setWord(message.word(at: MsgHeader.bitsOffset) | MsgHeader.complexBit, at: MsgHeader.bitsOffset)
    }
    return message
  }
}
