/// A `%YAML major.minor` directive.
package struct YAMLVersion: Equatable, Hashable, Sendable {
    package var major: Int
    package var minor: Int

    package init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }
}

/// A `%TAG handle prefix` directive.
package struct YAMLTagDirective: Equatable, Hashable, Sendable {
    package var handle: String
    package var prefix: String

    package init(handle: String, prefix: String) {
        self.handle = handle
        self.prefix = prefix
    }
}
