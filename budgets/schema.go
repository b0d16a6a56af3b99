package budgets

import _ "embed"

// Schema is the JSON Schema (draft 2020-12) of perfslo.yaml, for editors
// (yaml-language-server) and other tools. It states the shape: keys, types,
// units, percentages. Parse checks more (expression syntax, unit suffixes,
// regexps, static parameters); the tests keep the two in agreement on shape.
//
//go:embed perfslo.schema.json
var Schema []byte
