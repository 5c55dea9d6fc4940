import MachModel
import MachTrace
import Testing

/// The msgids table (docs/trace.md, "The trace stream in the shell").
@Suite struct MsgIdTableTests {
  let table = MsgIdTable()

  @Test(arguments: [
    (Int32(2007), "task_create"), (3204, "mach_port_allocate"), (3304, "mach_port_allocate-reply"),
    (2400, "exception_raise"), (2500, "exception_raise-reply"), (70, "mach_notify_no_senders"),
    (72, "mach_notify_dead_name"), (4600, "mach_trace_message"), (2619, "host_kernel_version"),
    (2643, "host_get_time64"), (2800, "device_open"), (4204, "gsync_wait"), (2203, "memory_object_data_request"),
    (171, ""), (4700, ""), (2005, ""),
  ])
  func builtInNamesAreMigsOwnAcrossReleases(id: Int32, name: String) {
    #expect(table.name(of: id) == name)
  }

  @Test func simpleroutinesHaveNoReplyName() {
    #expect(table.name(of: 4702) == "")  // mach_trace_message is a simpleroutine
    #expect(table.name(of: 2305) == "")  // memory_object_init: simpleroutine
    #expect(table.isReplyID(2107) && !table.isReplyID(171))
  }

  @Test func loadingAHurdMsgidsFile() {
    var t = MsgIdTable()
    let text = """
      # a comment
      io 21000 io_write 0 21000 21100
      io 21000 io_read 1 21001 21101

      fs 20000 file_chmod 2 20002 0
      """
    let report = try! t.load(text, file: "hurd.msgids").get()
    #expect(report.routines == 3 && report.collisions.isEmpty)
    #expect(t.name(of: 21000) == "io_write")
    #expect(t.name(of: 21101) == "io_read-reply")
    #expect(t.name(of: 20102) == "")  // reply-id 0: a simpleroutine has no reply
  }

  @Test func aMalformedLineNamesItsFileAndLineAndLoadsNothing() {
    var t = MsgIdTable()
    let text = "io 21000 io_write 0 21000 21100\nio 21000 io_read 1 21001\n"
    #expect(t.load(text, file: "bad.msgids") == .failure(MsgIdTable.FormatError(file: "bad.msgids", line: 2)))
    #expect("\(MsgIdTable.FormatError(file: "bad.msgids", line: 2))" == "bad.msgids:2: invalid format")
    #expect(t.name(of: 21000) == "")
  }

  @Test func collisionsAreReportedAndResolvedByTheDestinationOrTheLaterFile() {
    var t = MsgIdTable()
    let report = try! t.load("mine 3200 my_names 0 3200 3300\n", file: "a.msgids").get()
    #expect(report.collisions == ["3200: mach_port/mach_port_names vs mine/my_names"])
    #expect(t.name(of: 3200, servedByKernel: true) == "mach_port_names")
    #expect(t.name(of: 3200, servedByKernel: false) == "my_names")
    _ = t.load("other 3200 other_names 0 3200 3300\n", file: "b.msgids")
    #expect(t.name(of: 3200) == "other_names")
  }
}

extension MsgIdTableTests {
  /// The routine table (served routines, with their MIG signatures) and the msgids table
  /// (names for every id) must agree wherever both speak.
  @Test func everyServedRoutineHasTheSameNameAndReplyInTheMsgidsTable() {
    for routine in RoutineTable.served {
      #expect(table.name(of: routine.id, servedByKernel: true) == routine.name)
      #expect(table.name(of: routine.replyID!, servedByKernel: true) == routine.name + "-reply")
    }
    #expect(table.name(of: RoutineTable.exceptionRaise.id) == RoutineTable.exceptionRaise.name)
  }

  /// A file that gives a built-in id another name is reported, as a collision between
  /// subsystems is; a file that repeats a built-in entry is not.
  @Test func renamingABuiltInRoutineIsReported() throws {
    var table = MsgIdTable()
    let same = try table.load("mach 2000 task_create 7 2007 2107\n", file: "same.msgids").get()
    #expect(same.collisions.isEmpty)
    let renamed = try table.load("mach 2000 make_task 7 2007 2107\n", file: "renamed.msgids").get()
    #expect(renamed.collisions == ["2007: mach/task_create vs mach/make_task"])
  }
}
