// swift-tools-version:6.2
import PackageDescription

/// Compiler settings shared by every Swift target of the project: Swift 6 mode, strict concurrency, no warnings.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .treatAllWarnings(as: .error),
]

/// Plugins export one symbol: the ABI entry. Everything else stays local to the shared object.
let pluginLinker: [LinkerSetting] = [
    .unsafeFlags([
        "-use-ld=lld", "-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/PluginAPI/exports.map",
    ])
]

let package = Package(
    name: "herald",
    products: [
        .executable(name: "herald", targets: ["HeraldCLI"]),
        .library(name: "PluginKit", targets: ["PluginKit"]),
        .library(name: "HeraldIPAM", targets: ["HeraldIPAM"]),
        .library(name: "HeraldKube", targets: ["HeraldKube", "HeraldKubeModels"]),
        .library(name: "HeraldConfig", targets: ["HeraldConfig", "HeraldConfigModel"]),
        // Bundled plugins: shared objects the host loads at run time (never linked into the host).
        .library(name: "herald-log", type: .dynamic, targets: ["HeraldLogPlugin"]),
        .library(name: "herald-exec", type: .dynamic, targets: ["HeraldExecPlugin"]),
        .library(name: "herald-arp", type: .dynamic, targets: ["HeraldARPPlugin"]),
        .library(name: "herald-ndp", type: .dynamic, targets: ["HeraldNDPPlugin"]),
        .library(name: "herald-bgp", type: .dynamic, targets: ["HeraldBGPPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.27.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // MARK: The plugin ABI and the kit for plugin authors
        .target(name: "CHeraldPlugin", path: "Sources/PluginAPI/CHeraldPlugin"),
        // The plugins' IPv4 and IPv6 address types: pure, no dependencies, so that the pure codecs (HeraldBGP, the
        // L2 codecs) and the fuzz scripts can use them without the ABI; PluginKit re-exports them.
        .target(name: "HeraldAddresses", path: "Sources/PluginAPI/Addresses", swiftSettings: strict),
        .target(
            name: "PluginKit", dependencies: ["CHeraldPlugin", "HeraldAddresses", "HeraldJSON"],
            path: "Sources/PluginAPI/PluginKit", swiftSettings: strict),

        // MARK: Shared by the host and the plugins (dependency-free)
        .target(name: "HeraldJSON", path: "Sources/Shared/JSONEscaping", swiftSettings: strict),

        // MARK: The host
        .target(name: "HeraldCore", path: "Sources/Host/Core", swiftSettings: strict),
        // The validated configuration as values (no YAML): what the planner and the sources read.
        .target(
            name: "HeraldConfigModel", dependencies: ["HeraldCore"], path: "Sources/Host/ConfigModel",
            swiftSettings: strict),
        // Pure: a YAML parser's events (no values), for what must be checked before Yams builds any.
        .target(name: "HeraldYAML", path: "Sources/Host/YAML", swiftSettings: strict),
        // Reads herald.yaml and plugins.d into the model, with file:line:column diagnostics.
        .target(
            name: "HeraldConfig",
            dependencies: [
                "HeraldCore", "HeraldConfigModel", "HeraldJSON", "HeraldYAML", .product(name: "Yams", package: "Yams"),
            ],
            path: "Sources/Host/Config",
            swiftSettings: strict
        ),
        // Pure: MetalLB's custom resources and legacy ConfigMap, read with places, and their translation to Herald's
        // configuration (`herald convert`).
        .target(
            name: "HeraldMetalLB",
            dependencies: [
                "HeraldConfig", "HeraldConfigModel", "HeraldCore", "HeraldJSON",
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Sources/Host/MetalLB",
            swiftSettings: strict
        ),
        .target(name: "HeraldIPAM", dependencies: ["HeraldCore"], path: "Sources/Host/IPAM", swiftSettings: strict),
        .target(
            name: "HeraldPlanner", dependencies: ["HeraldCore", "HeraldConfigModel"], path: "Sources/Host/Planner",
            swiftSettings: strict),
        // The Kubernetes objects Herald reads and writes, as Codable values (no client, no NIO).
        .target(name: "HeraldKubeModels", path: "Sources/Host/KubeModels", swiftSettings: strict),
        // Pure: the allocator's state (Services to IPAM requests and back) and the Service translation.
        .target(
            name: "HeraldAllocation",
            dependencies: ["HeraldCore", "HeraldIPAM", "HeraldKubeModels", "HeraldPlanner"],
            path: "Sources/Host/Allocation",
            swiftSettings: strict),
        .target(
            name: "HeraldKube",
            dependencies: [
                "HeraldCore", "HeraldKubeModels",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Sources/Host/Kube",
            swiftSettings: strict
        ),
        // Names the plugin and ABI call a fatal signal hit (async-signal-safe, so in C).
        .target(name: "CHeraldCrash", path: "Sources/Host/CrashReport"),
        // The C allocator's settings for a long-running host (glibc's mallopt).
        .target(name: "CHeraldMemory", path: "Sources/Host/Memory"),
        .target(
            name: "HeraldPluginHost",
            dependencies: [
                "CHeraldPlugin", "CHeraldCrash", "HeraldConfigModel", "HeraldCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Host/PluginHost",
            swiftSettings: strict
        ),
        .target(
            name: "HeraldStatus",
            dependencies: [
                "HeraldCore", "HeraldIPAM", "HeraldJSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Host/Status",
            swiftSettings: strict
        ),
        .target(
            name: "HeraldRuntime",
            dependencies: [
                "HeraldAllocation", "HeraldConfig", "HeraldConfigModel", "HeraldPluginHost", "HeraldCore",
                "HeraldStatus", "HeraldPlanner", "HeraldIPAM", "HeraldKube", "HeraldKubeModels", "HeraldMetalLB",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Host/Runtime",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "HeraldCLI",
            dependencies: [
                // The allocator tuning of the herald process (applied when it loads); test processes keep glibc's.
                "CHeraldMemory",
                "HeraldAllocation", "HeraldConfig", "HeraldConfigModel", "HeraldCore", "HeraldIPAM", "HeraldKube",
                "HeraldKubeModels", "HeraldMetalLB", "HeraldPlanner", "HeraldPluginHost", "HeraldRuntime",
                "HeraldStatus",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Host/CLI",
            swiftSettings: strict
        ),

        // MARK: Bundled plugins
        .target(
            name: "HeraldLogPlugin",
            dependencies: ["PluginKit"],
            path: "Sources/Plugins/Log",
            swiftSettings: strict,
            linkerSettings: pluginLinker
        ),
        .target(
            name: "HeraldExecPlugin",
            dependencies: ["CHeraldPlugin"],
            path: "Sources/Plugins/Exec",
            cSettings: [.unsafeFlags(["-std=c11", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden"])],
            linkerSettings: pluginLinker + [.linkedLibrary("yaml")]
        ),
        // Layer-2 announcers (linked into both): pure ARP/NDP codecs (Codec/) and responders (Responder/), the packet and
        // interface I/O they share (IO/), and the plugin glue: configuration, entry, announcer thread (Plugin/).
        .target(
            name: "HeraldL2",
            dependencies: ["HeraldAddresses", "PluginKit"],
            path: "Sources/Plugins/L2",
            swiftSettings: strict
        ),
        .target(
            name: "HeraldARPPlugin",
            dependencies: ["PluginKit", "HeraldL2"],
            path: "Sources/Plugins/ARP",
            swiftSettings: strict,
            linkerSettings: pluginLinker
        ),
        .target(
            name: "HeraldNDPPlugin",
            dependencies: ["PluginKit", "HeraldL2"],
            path: "Sources/Plugins/NDP",
            swiftSettings: strict,
            linkerSettings: pluginLinker
        ),
        // BGP: a pure codec and session state machine (no I/O; only the address types), and the plugin around them.
        .target(
            name: "HeraldBGP",
            dependencies: ["HeraldAddresses"],
            path: "Sources/Plugins/BGP/Core",
            swiftSettings: strict
        ),
        .target(
            name: "HeraldBGPPlugin",
            dependencies: ["PluginKit", "HeraldBGP"],
            path: "Sources/Plugins/BGP/Plugin",
            swiftSettings: strict,
            linkerSettings: pluginLinker
        ),

        // MARK: Tests
        .target(name: "HeraldTestSupport", path: "Tests/Support", swiftSettings: strict),
        .testTarget(name: "HeraldCoreTests", dependencies: ["HeraldCore", "HeraldTestSupport"], swiftSettings: strict),
        .testTarget(name: "HeraldYAMLTests", dependencies: ["HeraldYAML"], swiftSettings: strict),
        // HeraldYAML's events against libyaml's (Yams' internal CYaml module): the one target that imports CYaml.
        .testTarget(
            name: "HeraldYAMLDifferentialTests",
            dependencies: ["HeraldYAML", "HeraldTestSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        .testTarget(
            name: "HeraldConfigTests", dependencies: ["HeraldConfig", "HeraldConfigModel", "HeraldTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "HeraldMetalLBTests",
            dependencies: [
                "HeraldMetalLB", "HeraldConfig", "HeraldConfigModel", "HeraldCore", "HeraldTestSupport",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "HeraldIPAMTests", dependencies: ["HeraldIPAM", "HeraldCore", "HeraldTestSupport"],
            swiftSettings: strict),
        // A real kube-apiserver for tests (scripts/dev-cluster) and the helpers around it.
        .target(
            name: "HeraldKubeTestSupport",
            dependencies: [
                "HeraldKube", "HeraldKubeModels", "HeraldTestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/KubeSupport",
            swiftSettings: strict),
        // Herald processes against a real API server: the allocator's fleets, the 3-node labs, data path, soak.
        .testTarget(
            name: "HeraldClusterTests",
            dependencies: [
                "HeraldKube", "HeraldKubeModels", "HeraldCore", "HeraldTestSupport", "HeraldKubeTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HeraldKubeTests",
            dependencies: [
                "HeraldKube", "HeraldKubeModels", "HeraldCore", "HeraldTestSupport", "HeraldKubeTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HeraldPluginHostTests",
            dependencies: [
                "HeraldPluginHost", "HeraldConfig", "HeraldConfigModel", "HeraldCore", "CHeraldPlugin",
                "HeraldTestSupport",
                // Reading plugins.d from disk (PluginDirectory.read) is the runtime's.
                "HeraldRuntime",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HeraldRuntimeTests",
            dependencies: [
                "HeraldRuntime", "HeraldAllocation", "HeraldConfig", "HeraldConfigModel", "HeraldCore", "HeraldIPAM",
                "HeraldKube", "HeraldKubeModels", "HeraldMetalLB", "HeraldPlanner", "HeraldPluginHost",
                "HeraldTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict),
        .testTarget(name: "HeraldCLITests", dependencies: ["HeraldTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "HeraldPlannerTests",
            dependencies: ["HeraldPlanner", "HeraldConfig", "HeraldConfigModel", "HeraldCore", "HeraldTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "HeraldStatusTests",
            dependencies: [
                "HeraldStatus", "HeraldCore", "HeraldIPAM", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // A generic ABI test harness: loads one plugin .so, drives it from stdin, prints host callbacks on stdout.
        .executableTarget(
            name: "herald-plugin-harness",
            dependencies: ["CHeraldPlugin", "HeraldTestSupport"],
            path: "Tests/PluginHarness",
            swiftSettings: strict
        ),
        .testTarget(
            name: "HeraldL2Tests", dependencies: ["HeraldL2", "PluginKit", "HeraldTestSupport"], swiftSettings: strict),
        .testTarget(name: "HeraldBGPTests", dependencies: ["HeraldBGP", "HeraldTestSupport"], swiftSettings: strict),
        // One leader-election candidate per process, so that the tests can kill a leader for real.
        .executableTarget(
            name: "herald-elector-harness",
            dependencies: [
                "HeraldKube", "HeraldKubeModels", "HeraldTestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ElectorHarness",
            swiftSettings: strict
        ),
    ]
)
