import Architecture
import DataIO
import Foundation
import Linalg
import Statistics

/// The file form of an ensemble run (`dlt ensemble` output, a shard, or a merge of shards): the
/// measured quantities, and everything needed to merge it with other shards of the same run — the
/// run id (a hash of spec, seed and inputs), the spec, the seed, the shard and the accumulator states.
public struct EnsembleRecord: Sendable {
    public var measurement: EnsembleMeasurement
    public var seed: UInt64
    public var runID: String
    public var shards: [String]

    public init(measurement: EnsembleMeasurement, seed: UInt64, runID: String, shards: [String]) {
        self.measurement = measurement
        self.seed = seed
        self.runID = runID
        self.shards = shards
    }

    public static func runID(spec: NetworkSpec, seed: UInt64, inputs: Matrix) throws -> String {
        try spec.fingerprint(String(seed), data: [inputs])
    }

    public func json() throws -> JSONValue {
        let m = measurement
        let specValue = try JSONValue.parse(try m.spec.toJSON())
        return .object(m.json() + [
            ("seed", .string(String(seed))), ("run_id", .string(runID)), ("shards", .array(shards.map { .string($0) })),
            ("inputs_count", .int(m.inputs)), ("spec", specValue),
            ("state", .object([
                ("per_network", .vector(m.perNetwork.state)), ("per_component", .vector(m.perComponent.state)),
            ])),
        ])
    }

    /// Read a record written by `json()`; every problem is reported with the file named.
    public static func read(path: String) throws -> EnsembleRecord {
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError.unreadable(path: path, reason: "no such file") }
        let doc: JSONValue
        do { doc = try JSONValue.parse(data) } catch { throw DataError.malformed(path: path, reason: "not JSON") }
        func field(_ k: String) throws -> JSONValue {
            guard let v = doc[k] else { throw DataError.malformed(path: path, reason: "not a dlt ensemble file: no '\(k)'") }
            return v
        }
        func numbers(_ v: JSONValue?) throws -> [Double] {
            guard let x = v?.numbers() else { throw DataError.malformed(path: path, reason: "bad state array (not an array of finite numbers)") }
            return x
        }
        guard case let .string(run) = try field("run_id"), case let .string(seedText) = try field("seed"), let seed = UInt64(seedText),
              case let .number(nInputs) = try field("inputs_count"), case let .number(networks) = try field("networks"),
              case let .array(shardValues) = try field("shards") else {
            throw DataError.malformed(path: path, reason: "missing or mistyped run fields")
        }
        let spec = try NetworkSpec.fromJSON(Data(try field("spec").serialized().utf8))
        var m = EnsembleMeasurement(spec: spec, inputs: Int(nInputs))
        let state = try field("state")
        do {
            m.perNetwork = try MomentAccumulator(channels: m.perNetwork.channels, order: 2, batches: m.perNetwork.batches,
                                                 state: numbers(state["per_network"]))
            m.perComponent = try MomentAccumulator(channels: m.perComponent.channels, order: 8, batches: m.perComponent.batches,
                                                   state: numbers(state["per_component"]))
        } catch let e as StatisticsError {
            throw DataError.malformed(path: path, reason: e.description)
        }
        m.networks = Int(networks)
        let shards = shardValues.compactMap { if case let .string(s) = $0 { return s }; return nil }
        return EnsembleRecord(measurement: m, seed: seed, runID: run, shards: shards)
    }

    /// Merge shard records of one run (refusing different runs and repeated shards).
    public static func merge(_ records: [EnsembleRecord]) throws -> EnsembleRecord {
        guard var out = records.first else { throw StatisticsError.incompatible("nothing to merge") }
        var seen = Set(out.shards)
        for r in records.dropFirst() {
            guard r.runID == out.runID else {
                throw StatisticsError.incompatible("shards of different runs (run ids \(out.runID) and \(r.runID): spec, seed or inputs differ)")
            }
            for s in r.shards where seen.contains(s) { throw StatisticsError.incompatible("shard \(s) appears twice") }
            seen.formUnion(r.shards)
            try out.measurement.perNetwork.merge(r.measurement.perNetwork)
            try out.measurement.perComponent.merge(r.measurement.perComponent)
            out.measurement.networks += r.measurement.networks
            out.shards += r.shards
        }
        return out
    }
}
