import Datasets

/// Generates the language reference (`grammar/REFERENCE.md`) and a JSON Schema for editors
/// (`grammar/spec.schema.json`) from `SpecSchema`, so neither can drift from the validator.
public enum Grammar {
    public static func markdown(preamble: String) -> String {
        var out = preamble.hasSuffix("\n") ? preamble : preamble + "\n"
        out +=
            "\n## Keys\n\nGenerated from the validator's own definitions by `backdoorlab grammar --write grammar`; a test fails when this file is stale.\n"
        var seen = Set<String>()
        section(SpecSchema.spec, path: "", into: &out, seen: &seen)
        out +=
            "\n## Class names\n\n`attack.target`, `than_where` selectors and the report use class numbers; they mean:\n\n"
        out += "| dataset | classes |\n|---|---|\n"
        for (name, classes) in [
            ("fashion_mnist", FashionMNIST.classNames), ("cifar10, cinic10", CIFAR.cifar10ClassNames),
            ("cifar100 (labels: coarse)", CIFAR.cifar100CoarseNames),
        ] {
            out += "| \(name) | " + classes.enumerated().map { "\($0) \($1)" }.joined(separator: ", ") + " |\n"
        }
        out += "| cifar100 (labels: fine) | 0–99 in the order of the dataset's `fine_label_names.txt` |\n"
        return out
    }

    static func defaultText(_ f: Field) -> String {
        guard let d = f.defaultValue else { return f.required ? "required" : "—" }
        if case .object(let o) = d, o.isEmpty { return "(its defaults)" }
        return "`\(d.text)`"
    }

    static func section(_ o: ObjectSchema, path: String, into out: inout String, seen: inout Set<String>) {
        out += "\n### `\(path.isEmpty ? "(top level)" : path)` — \(o.name)\n\n\(o.doc)\n\n"
        table(o.fields, top: path.isEmpty, into: &out)
        for f in o.fields { nested(f.type, path: path.isEmpty ? f.name : path + "." + f.name, into: &out, seen: &seen) }
    }

    static func table(_ fields: [Field], top: Bool = false, into out: inout String) {
        out += "| key | type | default | meaning | thesis |\n|---|---|---|---|---|\n"
        // Taken out by the loader before validation, so not a field of the schema; a spec may still write it.
        if top {
            out +=
                "| `profiles` | a mapping of profile names to overlays | — | Overlays applied with `--profile NAME`, after the folder's `profiles/NAME.yaml` (see Composition). |  |\n"
        }
        for f in fields {
            out +=
                "| `\(f.name)` | \(f.type.summary.replacingPipes) | \(defaultText(f).replacingPipes) | \(f.doc.replacingPipes) | \(f.thesis ?? "") |\n"
        }
    }

    static func nested(_ t: SchemaType, path: String, into out: inout String, seen: inout Set<String>) {
        switch t {
        case .object(let o): section(o, path: path, into: &out, seen: &seen)
        case .list(let inner, _): nested(inner, path: path + "[]", into: &out, seen: &seen)
        case .either(let ts): for x in ts { nested(x, path: path, into: &out, seen: &seen) }
        case .variant(let v):
            out +=
                "\n### `\(path)` — \(v.name)\n\n\(v.doc) Written as a mapping with `kind`, or just the kind's name. Default kind: `\(v.defaultCase)`.\n"
            for c in v.cases {
                out += "\n#### kind `\(c.name)`\n\n\(c.doc)\n\n"
                if !c.fields.isEmpty { table(c.fields, into: &out) }
                for f in c.fields { nested(f.type, path: path + "." + f.name, into: &out, seen: &seen) }
            }
        default: break
        }
    }

    /// JSON Schema (draft 2020-12). Every value may also be `{sweep: [...]}`.
    public static func jsonSchema() -> String {
        let body = schema(.object(SpecSchema.spec), top: true)
        return
            "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"title\":\"BackdoorLab experiment spec\","
            + String(body.dropFirst()) + "\n"
    }

    static func withSweep(_ s: String) -> String {
        "{\"anyOf\":[\(s),{\"type\":\"object\",\"properties\":{\"sweep\":{\"type\":\"array\",\"minItems\":1}},\"required\":[\"sweep\"],\"additionalProperties\":false}]}"
    }

    static func schema(_ t: SchemaType, top: Bool = false) -> String {
        switch t {
        case .bool: return "{\"type\":\"boolean\"}"
        case .integer(let lo, let hi):
            return "{\"type\":\"integer\"" + (lo.map { ",\"minimum\":\($0)" } ?? "")
                + (hi.map { ",\"maximum\":\($0)" } ?? "") + "}"
        case .number(let lo, let hi, let ex):
            let l =
                lo.map {
                    ex
                        ? ",\"exclusiveMinimum\":\(Value.number($0).canonicalJSON)"
                        : ",\"minimum\":\(Value.number($0).canonicalJSON)"
                } ?? ""
            // Fractions such as "1/3" are numbers to the validator; editors see them as strings.
            return "{\"anyOf\":[{\"type\":\"number\"\(l)"
                + (hi.map { ",\"maximum\":\(Value.number($0).canonicalJSON)" } ?? "")
                + "},{\"type\":\"string\",\"pattern\":\"^[0-9.]+/[0-9.]+$\"}]}"
        case .string, .path: return "{\"type\":\"string\"}"
        case .choice(let c): return "{\"enum\":[" + c.map(jsonString).joined(separator: ",") + "]}"
        case .list(let inner, let n):
            let array = "{\"type\":\"array\",\"minItems\":\(n),\"items\":\(withSweep(schema(inner)))}"
            // A single word stands for a list of one; a single number does not (see Validator).
            switch inner {
            case .integer, .number: return array
            default: return "{\"anyOf\":[\(array),\(schema(inner))]}"
            }
        case .object(let o):
            // The loader takes a spec's `profiles: {NAME: overlay}` out before validation; editors should accept it.
            let profiles =
                "\"profiles\":{\"type\":\"object\",\"description\":\"Overlays applied with --profile NAME, after the folder's profiles/NAME.yaml.\",\"additionalProperties\":{\"type\":\"object\"}}"
            return object(o.fields, extra: top ? [profiles] : [], top: top, doc: o.doc)
        case .variant(let v):
            let cases = v.cases.map { c in
                object(
                    c.fields, extra: ["\"kind\":{\"const\":\(jsonString(c.name))}"], top: false, doc: c.doc,
                    kindRequired: c.name != v.defaultCase)
            }
            return "{\"anyOf\":[{\"enum\":[" + v.cases.map { jsonString($0.name) }.joined(separator: ",") + "]},"
                + cases.joined(separator: ",")
                + "," + partialVariant(v) + "]}"
        case .either(let ts): return "{\"anyOf\":[" + ts.map { schema($0) }.joined(separator: ",") + "]}"
        }
    }

    /// A variant written in part: its kind inherited from a base (`perturbation: {epsilon: 600}` over a
    /// base's PGD) or swept (`kind: {sweep: [sgd_baseline, dp_sgd]}`). An editor cannot know the kind,
    /// so it accepts any case's keys; the tool checks the composed spec against the kind it ends up with.
    static func partialVariant(_ v: Variant) -> String {
        var names: [String] = []
        var types: [String: [SchemaType]] = [:]
        var docs: [String: String] = [:]
        for c in v.cases {
            for f in c.fields {
                if types[f.name] == nil {
                    names.append(f.name)
                    docs[f.name] = f.doc
                }
                types[f.name, default: []].append(f.type)
            }
        }
        let kind =
            "\"kind\":" + withSweep("{\"enum\":[" + v.cases.map { jsonString($0.name) }.joined(separator: ",") + "]}")
        let props =
            [kind]
            + names.map { n in
                let schemas = Array(Set(types[n, default: []].map { schema($0) })).sorted()
                let s = schemas.count == 1 ? schemas[0] : "{\"anyOf\":[" + schemas.joined(separator: ",") + "]}"
                return "\(jsonString(n)):"
                    + withSweep(String(s.dropLast()) + ",\"description\":\(jsonString(docs[n] ?? ""))}")
            }
        return
            "{\"type\":\"object\",\"description\":\(jsonString("Part of " + v.doc.prefix(1).lowercased() + v.doc.dropFirst() + " (its kind inherited or swept)")),"
            + "\"additionalProperties\":false,\"properties\":{" + props.joined(separator: ",") + "}}"
    }

    static func object(_ fields: [Field], extra: [String], top: Bool, doc: String, kindRequired: Bool = false) -> String
    {
        let props =
            extra
            + fields.map { f in
                var s = schema(f.type)
                s =
                    String(s.dropLast()) + ",\"description\":\(jsonString(f.doc))"
                    + (f.defaultValue.map { ",\"default\":\($0.canonicalJSON)" } ?? "") + "}"
                return "\(jsonString(f.name)):" + withSweep(s)
            }
        var required = fields.filter(\.required).map { jsonString($0.name) }
        if kindRequired { required.append("\"kind\"") }
        return "{\"type\":\"object\",\"description\":\(jsonString(doc)),\"additionalProperties\":false,\"properties\":{"
            + props.joined(separator: ",") + "}"
            + (required.isEmpty ? "" : ",\"required\":[" + required.joined(separator: ",") + "]") + "}"
    }
}

extension String {
    var replacingPipes: String { split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|") }
}

extension Grammar {
    /// The hand-written part of a reference: everything before its generated "## Keys" section.
    public static func preamble(of text: String) -> String {
        guard let r = text.range(of: "\n## Keys\n") else { return text }
        return String(text[..<r.lowerBound])
    }
}
