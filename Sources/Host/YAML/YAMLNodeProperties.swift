/// What a node carries besides its content: its anchor (`&name`) and its tag resolved to a full name (`!!str` is
/// `tag:yaml.org,2002:str`, `!x` is `!x`, a `%TAG` handle is replaced by its prefix); nil when not written.
package struct YAMLNodeProperties: Equatable, Hashable, Sendable {
    package var anchor: String?
    package var tag: String?

    package init(anchor: String? = nil, tag: String? = nil) {
        self.anchor = anchor
        self.tag = tag
    }
}
