import Foundation

/// A point in data (or axis) coordinates.
public struct PlotPoint: Sendable, Hashable {
    /// x coordinate.
    public var x: Double
    /// y coordinate.
    public var y: Double

    /// A point at (x, y).
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// Iso-lines of a sampled 2-D field by marching squares.
public enum MarchingSquares {
    /// The curves where the field equals `level`.
    ///
    /// - Parameters:
    ///   - values: `values[i][j]` is the field at (`x[j]`, `y[i]`); rows may not be ragged
    ///     (extra entries are ignored).
    ///   - x: column coordinates, strictly monotone.
    ///   - y: row coordinates, strictly monotone.
    ///   - level: the contour level.
    /// - Returns: polylines (closed ones end where they start), linearly interpolated
    ///   along grid edges. Cells with a non-finite corner are skipped; saddle cells are
    ///   resolved with the cell-center average.
    public static func contour(values: [[Double]], x: [Double], y: [Double], level: Double) -> [[PlotPoint]] {
        let rows = min(values.count, y.count)
        let cols = min(x.count, values.map(\.count).min() ?? 0)
        guard rows >= 2, cols >= 2, level.isFinite else { return [] }

        // Edge ids: horizontal edge (i, j)–(i, j+1) → 2(i·cols + j); vertical (i, j)–(i+1, j) → 2(i·cols + j) + 1.
        var points: [Int: PlotPoint] = [:]
        var links: [Int: [Int]] = [:]
        func crossing(_ i0: Int, _ j0: Int, _ i1: Int, _ j1: Int) -> Int {
            let id = 2 * (i0 * cols + j0) + (i0 == i1 ? 0 : 1)
            if points[id] == nil {
                let a = values[i0][j0], b = values[i1][j1]
                let t = min(max((level - a) / (b - a), 0), 1)
                points[id] = PlotPoint(x: x[j0] + (x[j1] - x[j0]) * t, y: y[i0] + (y[i1] - y[i0]) * t)
            }
            return id
        }
        func link(_ a: Int, _ b: Int) {
            links[a, default: []].append(b)
            links[b, default: []].append(a)
        }

        for i in 0..<(rows - 1) {
            for j in 0..<(cols - 1) {
                let v00 = values[i][j], v01 = values[i][j + 1], v10 = values[i + 1][j], v11 = values[i + 1][j + 1]
                guard v00.isFinite, v01.isFinite, v10.isFinite, v11.isFinite else { continue }
                let a00 = v00 >= level, a01 = v01 >= level, a10 = v10 >= level, a11 = v11 >= level
                var edges: [Int] = [] // in order: bottom, right, top, left
                var present = [false, false, false, false]
                if a00 != a01 { present[0] = true }
                if a01 != a11 { present[1] = true }
                if a10 != a11 { present[2] = true }
                if a00 != a10 { present[3] = true }
                let bottom = present[0] ? crossing(i, j, i, j + 1) : -1
                let right = present[1] ? crossing(i, j + 1, i + 1, j + 1) : -1
                let top = present[2] ? crossing(i + 1, j, i + 1, j + 1) : -1
                let left = present[3] ? crossing(i, j, i + 1, j) : -1
                for e in [bottom, right, top, left] where e >= 0 { edges.append(e) }
                if edges.count == 2 {
                    link(edges[0], edges[1])
                } else if edges.count == 4 {
                    let centerAbove = (v00 + v01 + v10 + v11) / 4 >= level
                    if centerAbove == a00 {
                        link(bottom, right); link(top, left)
                    } else {
                        link(left, bottom); link(right, top)
                    }
                }
            }
        }
        return chain(links: links, points: points)
    }

    /// Joins linked crossing points into polylines: open chains first, then loops.
    static func chain(links: [Int: [Int]], points: [Int: PlotPoint]) -> [[PlotPoint]] {
        var remaining = links
        var result: [[PlotPoint]] = []
        func walk(from start: Int) -> [PlotPoint] {
            var path = [points[start]!]
            var current = start
            while let next = remaining[current]?.first {
                remaining[current]!.removeFirst()
                if let k = remaining[next]?.firstIndex(of: current) { remaining[next]!.remove(at: k) }
                path.append(points[next]!)
                current = next
            }
            return path
        }
        for start in links.keys.sorted() where links[start]!.count == 1 && !(remaining[start]?.isEmpty ?? true) {
            result.append(walk(from: start))
        }
        for start in links.keys.sorted() where !(remaining[start]?.isEmpty ?? true) {
            result.append(walk(from: start))
        }
        return result
    }
}
