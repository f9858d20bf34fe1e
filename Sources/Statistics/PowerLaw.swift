import Foundation

/// Power-law fits.
public enum PowerLaw {
    /// Ordinary least-squares slope of log y on log x (the exponent of a power law; y clamped at 1e-300).
    public static func slope(_ x: [Double], _ y: [Double]) -> Double {
        let lx = x.map { Foundation.log($0) }, ly = y.map { Foundation.log(max($0, 1e-300)) }
        let mx = lx.reduce(0, +) / Double(lx.count), my = ly.reduce(0, +) / Double(ly.count)
        return zip(lx, ly).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / lx.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
    }
}

