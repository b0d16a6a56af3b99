package budgets

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
	if err != nil {
		t.Fatalf("Schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("perfslo.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("perfslo.schema.json")
	if err != nil {
		t.Fatalf("Schema does not compile: %v", err)
	}
	return sch
}

// validateYAML checks a YAML config against the schema.
func validateYAML(t *testing.T, sch *jsonschema.Schema, src []byte) error {
	t.Helper()
	js, err := yaml.YAMLToJSON(src)
	if err != nil {
		t.Fatalf("YAMLToJSON: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatalf("instance: %v", err)
	}
	return sch.Validate(inst)
}

// TestSchemaAgreesValid: every config Parse accepts in these tests, the
// schema accepts.
func TestSchemaAgreesValid(t *testing.T) {
	sch := compileSchema(t)
	files, _ := filepath.Glob("testdata/*.yaml")
	// The example module's config is the one users copy: keep it valid too.
	if _, err := os.Stat("../examples/perfslo.yaml"); err == nil {
		files = append(files, "../examples/perfslo.yaml")
	}
	srcs := map[string][]byte{"matchYAML": []byte(matchYAML)}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs[f] = data
	}
	if len(srcs) < 3 {
		t.Fatalf("only %d valid configs to check", len(srcs))
	}
	for name, src := range srcs {
		if _, err := Parse(name, src); err != nil {
			t.Errorf("%s: Parse: %v", name, err)
		}
		if err := validateYAML(t, sch, src); err != nil {
			t.Errorf("%s: schema rejects a valid config: %v", name, err)
		}
	}
}

// TestSchemaAgreesInvalid: shape errors Parse reports, the schema reports
// too. (Parse checks more than a schema can express: expressions, regexps,
// suffixes; those cases are not listed here.)
func TestSchemaAgreesInvalid(t *testing.T) {
	sch := compileSchema(t)
	rejects := []string{
		"top level list", "version 2", "version missing", "version not a number",
		"unknown key top", "unknown key run", "unknown key far from any", "unknown key budget",
		"unknown key profile", "unknown key staging", "unknown key staging budget", "unknown key flow mapping",
		"unit percent", "unit with spaces", "unit empty",
		"benchtime not a duration", "benchtime negative", "benchtime bad count", "count 1", "cpu 0", "packages empty",
		"percent negative", "percent garbage", "share over 100", "expression empty",
		"entry not a mapping", "entry without benchmark", "entry states nothing", "limits without operation",
		"budgets not a list", "staging without service", "staging budget without limit",
	}
	cases := map[string]parseErrorCase{}
	for _, tc := range parseErrorCases {
		cases[tc.name] = tc
	}
	for _, name := range rejects {
		tc, ok := cases[name]
		if !ok {
			t.Errorf("no parse error case %q", name)
			continue
		}
		if _, err := Parse("perfslo.yaml", []byte(tc.src)); err == nil {
			t.Errorf("%s: Parse accepts it", name)
		}
		if err := validateYAML(t, sch, []byte(tc.src)); err == nil {
			t.Errorf("%s: schema accepts a config Parse rejects:\n%s", name, tc.src)
		}
	}
}
