// The ABI the model speaks, in one place: i386, as GNU Mach's i386/include/mach/i386/
// machine_types.defs declares it. Every `#include <mach/machine/machine_types.defs>` reads this
// text, whatever machine machsh runs on (Debian's gnumach-dev ships the build machine's file,
// whose rpc_long_* types are 64 bits on x86_64).

public enum MachineTypes {
  /// The path diagnostics name the built-in file by.
  public static let builtinPath = "<machsh i386>/mach/machine/machine_types.defs"

  /// i386's machine types: `natural_t` and `integer_t` are 32 bits, and so are the `rpc_long_*`
  /// types; physical addresses travel as 64 bits.
  public static let i386Definitions = """
    #ifndef _MACHINE_MACHINE_TYPES_DEFS_
    #define _MACHINE_MACHINE_TYPES_DEFS_ 1
    type natural_t = uint32_t;
    type integer_t = int32_t;
    type rpc_long_natural_t = uint32_t;
    type rpc_long_integer_t = int32_t;
    type long_natural_t = rpc_long_natural_t;
    type long_integer_t = rpc_long_integer_t;
    type rpc_phys_addr_t = uint64_t;
    #endif
    """

  /// The built-in text for an `#include` of `name`, if it is one the ABI replaces.
  static func builtinFile(named name: String) -> (path: String, text: String)? {
    name == "mach/machine/machine_types.defs" ? (builtinPath, i386Definitions) : nil
  }
}
