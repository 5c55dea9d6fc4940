// vm_allocate and vm_deallocate as the kernel serves them, on the model's address maps
// (docs/gnumach.md §6 routines 2021 and 2023; docs/shell.md §11 for the placement rule).

extension Kernel {
  /// vm_allocate(task, anywhere): the lowest free page-aligned range from 0x10000. Size 0
  /// allocates nothing and answers address 0 (`vm_allocate`, `vm/vm_user.c`).
  public mutating func vmAllocate(_ task: TaskIndex, size: UInt32) -> (ReturnCode, UInt32) {
    guard isValidTask(task) else { return (KernReturn.invalidTask, 0) }
    guard size > 0 else { return (KernReturn.success, 0) }
    guard let address = tasks[Int(task)].map.allocate(size: size) else { return (KernReturn.noSpace, 0) }
    return (KernReturn.success, address)
  }

  /// vm_allocate(task, address, anywhere = false), as `vm/vm_user.c` does it: size 0 allocates
  /// nothing and answers address 0; otherwise the address is truncated to its page and the
  /// size rounded up to pages on its own (`trunc_page(addr)`, `round_page(size)`), and
  /// `vm_map_enter` answers KERN_NO_SPACE when a page is taken, KERN_INVALID_ADDRESS when the
  /// range leaves the address space. Returns the address used.
  public mutating func vmAllocate(_ task: TaskIndex, at address: UInt32, size: UInt32) -> (ReturnCode, UInt32) {
    guard isValidTask(task) else { return (KernReturn.invalidTask, address) }
    guard size > 0 else { return (KernReturn.success, 0) }
    let start = address / VMMap.pageSize * VMMap.pageSize
    guard UInt64(start) + VMMap.roundUp(size) <= 0x1_0000_0000 else { return (KernReturn.invalidAddress, start) }
    let placed = tasks[Int(task)].map.allocate(at: start, size: size)
    return (placed ? KernReturn.success : KernReturn.noSpace, start)
  }

  /// vm_deallocate: frees every allocated page of the range (unallocated pages are fine).
  public mutating func vmDeallocate(_ task: TaskIndex, address: UInt32, size: UInt32) -> ReturnCode {
    guard isValidTask(task) else { return KernReturn.invalidTask }
    guard UInt64(address) + UInt64(size) <= 0x1_0000_0000 else { return KernReturn.invalidAddress }
    tasks[Int(task)].map.deallocate(address: address, size: size)
    return KernReturn.success
  }

  /// The task writes `bytes` into its own memory at `address` (what a program does before it
  /// sends an array out of line). KERN_INVALID_ADDRESS unless the range lies in one region.
  public mutating func writeMemory(_ task: TaskIndex, _ bytes: [UInt8], at address: UInt32) -> ReturnCode {
    guard isValidTask(task) else { return KernReturn.invalidTask }
    return tasks[Int(task)].map.write(bytes, at: address) ? KernReturn.success : KernReturn.invalidAddress
  }
}
