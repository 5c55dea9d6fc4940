/// Bytes a string holds as bytes, not characters: `\xNN` with NN ≥ 0x80 in a string literal is
/// the byte NN, which no Unicode character is. Such a byte is kept as a private-use scalar
/// (U+10FF80…U+10FFFF); `bytes(…)` and `string(…)` send it as the one byte, everything else
/// as its UTF-8, and it prints back as `\xNN`.
enum RawBytes {
  static let base: UInt32 = 0x10_FF00

  static func scalar(_ byte: UInt8) -> Unicode.Scalar {
    byte < 0x80 ? Unicode.Scalar(byte) : Unicode.Scalar(base + UInt32(byte))!
  }

  /// The byte a scalar stands for, when it stands for one.
  static func byte(_ scalar: Unicode.Scalar) -> UInt8? {
    scalar.value >= base + 0x80 && scalar.value <= base + 0xFF ? UInt8(scalar.value - base) : nil
  }

  /// What a string sends: raw bytes as themselves, every other character as UTF-8.
  static func bytes(of text: String) -> [UInt8] {
    var out: [UInt8] = []
    for scalar in text.unicodeScalars {
      if let b = byte(scalar) { out.append(b) } else { out.append(contentsOf: String(scalar).utf8) }
    }
    return out
  }
}
