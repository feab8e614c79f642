import Testing

@testable import Server

private func parse(_ text: String) throws(YAMLSyntaxError) -> YAMLValue {
    try YAMLSubsetParser.parse(Array(text.utf8)).value
}

private func scalar(_ text: String, quoted: Bool = false) -> YAMLValue { .scalar(text, quoted: quoted) }

private func mapping(_ entries: [(String, Int, YAMLValue, Int)]) -> YAMLValue {
    .mapping(entries.map { YAMLEntry(key: $0.0, line: $0.1, value: YAMLNode(value: $0.2, line: $0.3)) })
}

@Suite("YAML subset parser")
struct YAMLSubsetParserTests {
    @Test(arguments: ["", "\n\n", "# only a comment\n", "---\n", "---\n...\n", "{}", "  \n# x\n"])
    func emptyDocumentsAreNullOrEmpty(text: String) throws {
        let value = try parse(text)
        #expect(value == .null || value == .mapping([]), "\(value)")
    }

    @Test func nestedMappingsWithLinesAndComments() throws {
        let text = """
            # web config
            tls_server_config:   # trailing comment
              cert_file: server.crt
              key_file: "dir/server key.pem"

            basic_auth_users:
              alice: '$2y$10$abc'   # it's a hash
            """
        let expected = mapping([
            (
                "tls_server_config", 2,
                mapping([("cert_file", 3, scalar("server.crt"), 3), ("key_file", 4, scalar("dir/server key.pem", quoted: true), 4)]), 3
            ),
            ("basic_auth_users", 6, mapping([("alice", 7, scalar("$2y$10$abc", quoted: true), 7)]), 7),
        ])
        #expect(try parse(text) == expected)
    }

    @Test func sequencesBlockFlowAndAtKeyIndentation() throws {
        let text = """
            a:
              - x
              - "y"
            b:
            - z
            c: [p, 'q r', "s"]
            d: []
            e: {k: v, "m": 'n'}
            """
        let expected = mapping([
            ("a", 1, .sequence([YAMLNode(value: scalar("x"), line: 2), YAMLNode(value: scalar("y", quoted: true), line: 3)]), 2),
            ("b", 4, .sequence([YAMLNode(value: scalar("z"), line: 5)]), 5),
            (
                "c", 6,
                .sequence([
                    YAMLNode(value: scalar("p"), line: 6), YAMLNode(value: scalar("q r", quoted: true), line: 6),
                    YAMLNode(value: scalar("s", quoted: true), line: 6),
                ]), 6
            ),
            ("d", 7, .sequence([]), 7),
            ("e", 8, mapping([("k", 8, scalar("v"), 8), ("m", 8, scalar("n", quoted: true), 8)]), 8),
        ])
        #expect(try parse(text) == expected)
    }

    @Test func compactMappingsInSequences() throws {
        let value = try parse("list:\n  - name: a\n    value: 1\n  - name: b\n")
        guard case .mapping(let top) = value, case .sequence(let items) = top[0].value.value else {
            Issue.record("not a list: \(value)")
            return
        }
        #expect(items.count == 2)
        #expect(items[0].value == mapping([("name", 2, scalar("a"), 2), ("value", 3, scalar("1"), 3)]))
        #expect(items[1].value == mapping([("name", 4, scalar("b"), 4)]))
    }

    @Test func quotedScalarsAndEscapes() throws {
        let value = try parse(#"a: "tab\there \"q\" \u00e9 \x41 back\\slash"  # c"# + "\nb: 'it''s'\nc: \"#not a comment\"\n")
        #expect(
            value
                == mapping([
                    ("a", 1, scalar("tab\there \"q\" é A back\\slash", quoted: true), 1), ("b", 2, scalar("it's", quoted: true), 2),
                    ("c", 3, scalar("#not a comment", quoted: true), 3),
                ]))
    }

    @Test func plainScalarsKeepHashesWithoutSpaceAndColonsWithoutSpace() throws {
        let value = try parse("url: http://x:9090/a#frag\nempty:\ntilde: ~\nnull_word: null\n")
        #expect(
            value
                == mapping([
                    ("url", 1, scalar("http://x:9090/a#frag"), 1), ("empty", 2, .null, 2), ("tilde", 3, .null, 3), ("null_word", 4, .null, 4),
                ]))
    }

    @Test func literalBlocksKeepLinesAndChomp() throws {
        let text = "cert: |\n  -----BEGIN X-----\n  abc\n\n    indented\n  -----END X-----\nkey: |-\n  k\n\nkeep: |+\n  z\n\n"
        let value = try parse(text)
        #expect(
            value
                == mapping([
                    ("cert", 1, scalar("-----BEGIN X-----\nabc\n\n  indented\n-----END X-----\n", quoted: true), 1),
                    ("key", 7, scalar("k", quoted: true), 7),
                    ("keep", 10, scalar("z\n\n", quoted: true), 10),
                ]))
    }

    @Test func byteOrderMarkAndCRLF() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a: 1\r\nb: 2\r\n".utf8)
        #expect(try YAMLSubsetParser.parse(bytes).value == mapping([("a", 1, scalar("1"), 1), ("b", 2, scalar("2"), 2)]))
    }

    /// Each refusal names the line and says what is wrong, in one sentence.
    @Test(arguments: [
        ("a: 1\na: 2\n", 2, "key \"a\" appears twice in the same mapping"),
        ("a:\n\tb: 1\n", 2, "tab character in indentation; YAML indents with spaces only"),
        ("a: &anchor 1\n", 1, "YAML anchors and aliases (& and *) are not supported"),
        ("a: *alias\n", 1, "YAML anchors and aliases (& and *) are not supported"),
        ("a: !!str 1\n", 1, "YAML tags (!) are not supported"),
        ("a: >\n  folded\n", 1, "folded block scalars (>) are not supported; use | or a quoted string"),
        ("a: \"open\n", 1, "unterminated quoted string (multi-line strings are not supported)"),
        ("a: b\n  c: d\n", 2, "unexpected indentation: line 1 already has a value (multi-line values are not supported)"),
        ("a: b: c\n", 1, "unexpected \":\" in a value; quote the value or nest the mapping on the next line"),
        ("just text\n", 1, "expected \"key: value\", found no \":\" after the key"),
        ("a: [x, y\n", 1, "unterminated flow collection (they must fit on one line)"),
        ("a: [x, [y]]\n", 1, "nested flow collections are not supported"),
        ("a: 1\n---\nb: 2\n", 2, "more than one YAML document; the web config is one document"),
        ("%YAML 1.2\n---\na: 1\n", 1, "YAML directives (%) are not supported"),
        ("? complex\n: key\n", 1, "complex mapping keys (?) are not supported"),
        ("a:\n  - x\n  y: 1\n", 3, "unexpected indentation (2 spaces)"),
        ("a:\n  b: 1\n  - x\n", 3, "a list item (-) where a \"key: value\" line was expected"),
        ("a: \"x\" trailing\n", 1, "unexpected text after the value"),
        ("a: \"bad \\q escape\"\n", 1, "unsupported escape \"\\q\" in a double-quoted string"),
        ("a: |\nb: 1\n", 1, "empty | block; indent its lines deeper than the key"),
        ("a: - x\n", 1, "a list cannot start on the same line as its key; put \"- item\" on the next line"),
        ("a: 1\n...\nb: 2\n", 3, "content after the end of the document (...)"),
    ])
    func refusals(text: String, line: Int, message: String) {
        #expect(throws: YAMLSyntaxError(line: line, message: message)) { try parse(text) }
    }

    @Test func controlCharactersAndInvalidUTF8AreRefusedWithTheirLine() {
        #expect(throws: YAMLSyntaxError(line: 2, message: "control character 0x07 is not allowed")) {
            try YAMLSubsetParser.parse(Array("a: 1\nb: \u{07}\n".utf8))
        }
        #expect(throws: YAMLSyntaxError(line: 1, message: "text is not valid UTF-8")) {
            try YAMLSubsetParser.parse([UInt8(ascii: "a"), UInt8(ascii: ":"), UInt8(ascii: " "), 0xC3, 0x28])
        }
    }

    @Test func deepNestingIsRefusedNotRecursedInto() {
        var text = ""
        for depth in 0..<100 { text += String(repeating: " ", count: depth) + "k\(depth):\n" }
        #expect(throws: YAMLSyntaxError(line: 33, message: "nesting deeper than 32 levels")) { try parse(text) }
        let dashes = String(repeating: "- ", count: 200) + "x\n"
        #expect(throws: YAMLSyntaxError.self) { try parse(dashes) }
    }
}
