// vm_allocate and vm_deallocate as the kernel serves them, on the model's address maps
// (docs/gnumach.md §6 routines 2021 and 2023; docs/shell.md §11 for the placement rule).

extension Kernel {
  /// vm_allocate(task, anywhere): the lowest free page-aligned range from 0x10000.
  public mutating func vmAllocate(_ task: TaskIndex, size: UInt32) -> (ReturnCode, UInt32) {
    guard isValidTask(task) else { return (KernReturn.invalidTask, 0) }
    guard let address = tasks[Int(task)].map.allocate(size: size) else { return (KernReturn.noSpace, 0) }
    return (KernReturn.success, address)
  }

  /// vm_allocate(task, address, anywhere = false): KERN_NO_SPACE when a page is taken,
  /// KERN_INVALID_ADDRESS when the range is not page-aligned or leaves the address space.
  public mutating func vmAllocate(_ task: TaskIndex, at address: UInt32, size: UInt32) -> ReturnCode {
    guard isValidTask(task) else { return KernReturn.invalidTask }
    guard address % VMMap.pageSize == 0, UInt64(address) + UInt64(size) <= 0x1_0000_0000 else {
      return KernReturn.invalidAddress
    }
    return tasks[Int(task)].map.allocate(at: address, size: size) ? KernReturn.success : KernReturn.noSpace
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
