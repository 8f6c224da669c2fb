// swift-tools-version:6.2
import PackageDescription

// Benchmarks live in their own package so that normal builds never build them.
// Run: swift run -c release --package-path Benchmarks ipam-bench (or config-bench, controller-bench)
let package = Package(
    name: "herald-benchmarks",
    dependencies: [
        .package(name: "herald", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        .executableTarget(
            name: "ipam-bench",
            dependencies: [.product(name: "HeraldIPAM", package: "herald")],
            swiftSettings: [.swiftLanguageMode(.v6), .treatAllWarnings(as: .error)]
        ),
        .executableTarget(
            name: "controller-bench",
            dependencies: [
                .product(name: "HeraldKube", package: "herald"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6), .treatAllWarnings(as: .error)]
        ),
        .executableTarget(
            name: "config-bench",
            dependencies: [
                .product(name: "HeraldIPAM", package: "herald"), .product(name: "HeraldConfig", package: "herald"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6), .treatAllWarnings(as: .error)]
        ),
    ]
)
