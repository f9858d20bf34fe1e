// The umbrella module: `import DeepTheory` brings every concept module.
@_exported import Linalg
@_exported import Gaussian
@_exported import Architecture
@_exported import InfiniteWidth
@_exported import Criticality
@_exported import DataIO
@_exported import Plot
@_exported import Studies
@_exported import Report
@_exported import Sampling
@_exported import SampledNetworks
@_exported import Statistics
@_exported import FiniteWidth
@_exported import Training
@_exported import ImplicitBias
@_exported import Optimizers
@_exported import Lazy
