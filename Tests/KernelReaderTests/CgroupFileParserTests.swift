import KernelReader
import Testing

@Suite("cgroup and /proc/stat file parsers")
struct CgroupFileParserTests {
    @Test(arguments: [
        ("populated 1\nfrozen 0\n", true as Bool?),
        ("populated 0\nfrozen 0\n", false),
        ("frozen 0\npopulated 1", true),
        ("populated 1   \n", true),
        ("frozen 0\n", nil),
        ("populated 2\n", nil),
        ("populated\n", nil),
        ("populated x\n", nil),
        ("unpopulated 1\n", nil),
        ("", nil),
    ])
    func cgroupEvents(_ text: String, populated: Bool?) {
        #expect(CgroupEventsParser.populated(Array(text.utf8)) == populated)
    }

    @Test(arguments: [
        ("low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\noom_group_kill 0\n", 2 as UInt64?),
        ("low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n", 0),
        ("oom_group_kill 5\noom 1\n", nil),
        ("oom_kill 18446744073709551615\n", UInt64.max),
        ("oom_kill 18446744073709551616\n", nil),
        ("", nil),
    ])
    func memoryEvents(_ text: String, oomKills: UInt64?) {
        #expect(MemoryEventsParser.oomKills(Array(text.utf8)) == oomKills)
    }

    @Test(arguments: [
        ("oom_kill_disable 0\nunder_oom 0\noom_kill 0", 0 as UInt64?),
        ("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n", 1),
        // Before Linux 4.13 there is no oom_kill line; oom_kill_disable must not be taken for it.
        ("oom_kill_disable 1\nunder_oom 0\n", nil),
    ])
    func memoryOOMControl(_ text: String, oomKills: UInt64?) {
        #expect(MemoryOOMControlParser.oomKills(Array(text.utf8)) == oomKills)
    }

    @Test func bootTimeFromProcStat() {
        let text = """
            cpu  77512 0 13247 38261 1943 0 111 83 0 0
            cpu0 34564 0 6189 24438 280 0 19 44 0 0
            intr 2195812 0 9 0 0 0
            ctxt 778938
            btime 1795936593
            processes 26015

            """
        #expect(BootTimeParser.bootTime(Array(text.utf8)) == 1_795_936_593)
        #expect(BootTimeParser.bootTime(Array("cpu 1 2 3\nctxt 5\n".utf8)) == nil)
        #expect(BootTimeParser.bootTime(Array("btime soon\n".utf8)) == nil)
    }

    @Test func flatKeyedTakesTheFirstExactKey() {
        let bytes = Array("oom_kill_disable 1\noom_kill 4\noom_kill 5\n".utf8)
        #expect(FlatKeyedParser.value(forKey: "oom_kill", in: bytes) == 4)
        #expect(FlatKeyedParser.value(forKey: "oom", in: bytes) == nil)
    }
}
