// swift-tools-version:6.1
import PackageDescription

// One module per concept, dependencies pointing one way:
// Linalg → Gaussian → Architecture → InfiniteWidth / Criticality → Studies → Report → dlt.
// DataIO (CSV/.npy/.npz/JSON) and Plot (SVG) are leaves used by the upper layers.

#if os(Linux)
let blasTargets: [Target] = [
    .systemLibrary(
        name: "COpenBLAS",
        path: "Sources/COpenBLAS",
        pkgConfig: "openblas",
        providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
    )
]
let blasDependency: [Target.Dependency] = ["COpenBLAS"]
let blasLinker: [LinkerSetting] = []
#else
let blasTargets: [Target] = []
let blasDependency: [Target.Dependency] = []
let blasLinker: [LinkerSetting] = [.linkedFramework("Accelerate")]
#endif

// The optional MPI build (issue 7): DEEPTHEORY_MPI=1 swift build … links Open MPI (libopenmpi-dev) into dlt, so that
// `mpirun -np K dlt ensemble|study transfer …` splits the work across ranks. The plain build needs no MPI.
let withMPI = Context.environment["DEEPTHEORY_MPI"] == "1"
let mpiTargets: [Target] = withMPI ? [
    .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
    .target(name: "MPISupport", dependencies: ["CMPI"]),
] : []

// The libFuzzer harness of the readers (issue 7), built only by `make fuzz` (DEEPTHEORY_FUZZ=1, with -sanitize=fuzzer).
let withFuzz = Context.environment["DEEPTHEORY_FUZZ"] == "1"
let fuzzTargets: [Target] = withFuzz ? [
    .target(name: "CFuzzDriver"),
    .executableTarget(name: "dlt-fuzz", dependencies: ["DataIO", "Architecture", "CFuzzDriver"]),
] : []

let optimized: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "DeepTheory",
    products: [
        .library(name: "DeepTheory", targets: ["DeepTheory"]),
        .executable(name: "dlt", targets: ["dlt"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: blasTargets + mpiTargets + fuzzTargets + [
        .target(name: "Linalg", dependencies: blasDependency, linkerSettings: blasLinker),
        .target(name: "Gaussian", dependencies: ["Linalg"]),
        .target(name: "Architecture", dependencies: ["Gaussian"]),
        .target(name: "InfiniteWidth", dependencies: ["Architecture", "Linalg"]),
        .target(name: "Criticality", dependencies: ["Architecture", "InfiniteWidth"]),
        .target(name: "FiniteWidth", dependencies: ["Architecture", "InfiniteWidth", "Linalg"]),
        .target(name: "DataIO", dependencies: ["Linalg"]),
        .target(name: "Plot"),
        .target(name: "Sampling"),
        .target(name: "Statistics"),
        .target(name: "SampledNetworks", dependencies: ["Architecture", "Linalg", "Sampling"]),
        .target(name: "Training", dependencies: ["Architecture", "InfiniteWidth", "Linalg"]),
        .target(name: "ImplicitBias", dependencies: ["Linalg"]),
        .target(name: "Optimizers", dependencies: ["Linalg"]),
        .target(name: "Influence", dependencies: ["Linalg", "WidthScaling"]),
        .target(name: "Lazy", dependencies: ["Architecture", "Linalg", "SampledNetworks"]),
        .target(name: "OutOfCore", dependencies: ["Architecture", "DataIO", "InfiniteWidth", "Linalg"]),
        .target(name: "WidthScaling", dependencies: ["Gaussian", "Linalg", "Sampling", "Statistics", "Optimizers", "SampledNetworks"]),
        .target(name: "Studies", dependencies: ["InfiniteWidth", "Criticality", "DataIO", "SampledNetworks", "Statistics", "FiniteWidth", "Training", "ImplicitBias", "Optimizers", "Lazy", "Influence", "WidthScaling"],
                resources: [.copy("Data")]),
        .target(name: "Report", dependencies: ["Studies", "Plot", "Statistics", "FiniteWidth", "ImplicitBias", "Optimizers", "Lazy", "Influence", "WidthScaling"]),
        .target(name: "DeepTheory", dependencies: [
            "Linalg", "Gaussian", "Architecture", "InfiniteWidth", "Criticality", "DataIO", "Plot", "Studies", "Report",
            "Sampling", "SampledNetworks", "Statistics", "FiniteWidth", "Training", "ImplicitBias", "Optimizers", "Lazy", "Influence", "WidthScaling", "OutOfCore",
        ]),
        .executableTarget(name: "dlt", dependencies: [
            "DeepTheory",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ] + (withMPI ? ["MPISupport"] : []), swiftSettings: withMPI ? [.define("DEEPTHEORY_MPI")] : []),
        .executableTarget(name: "dlt-bench", dependencies: ["DeepTheory"]),
        .testTarget(name: "LinalgTests", dependencies: ["Linalg"]),
        .testTarget(name: "GaussianTests", dependencies: ["Gaussian"]),
        .testTarget(name: "InfiniteWidthTests", dependencies: ["InfiniteWidth"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CriticalityTests", dependencies: ["Criticality"]),
        .testTarget(name: "DataIOTests", dependencies: ["DataIO", "Architecture"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PlotTests", dependencies: ["Plot"]),
        .testTarget(name: "SamplingTests", dependencies: ["Sampling"]),
        .testTarget(name: "FiniteWidthTests", dependencies: ["FiniteWidth", "SampledNetworks", "Statistics", "Studies"]),
        .testTarget(name: "StatisticsTests", dependencies: ["Statistics", "Sampling"]),
        .testTarget(name: "SampledNetworksTests", dependencies: ["SampledNetworks", "InfiniteWidth"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "DataIO", "SampledNetworks"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ImplicitBiasTests", dependencies: ["ImplicitBias", "Studies"]),
        .testTarget(name: "OptimizersTests", dependencies: ["Optimizers", "Influence"]),
        .testTarget(name: "LazyTests", dependencies: ["Lazy", "SampledNetworks", "Architecture"]),
        .testTarget(name: "WidthScalingTests", dependencies: ["WidthScaling", "SampledNetworks", "Architecture", "Studies"]),
        .testTarget(name: "OutOfCoreTests", dependencies: ["OutOfCore", "InfiniteWidth", "DataIO", "Architecture", "Gaussian"]),
        .testTarget(name: "CLITests", dependencies: ["dlt", "DataIO"]),
    ]
)
