package github

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// GitHub's own description of its API and its own example webhook payloads,
// installed from npm at test time into a cache outside the repository.
const (
	openapiPkg  = "@octokit/openapi@23.0.2"
	webhooksPkg = "@octokit/webhooks-examples@7.6.1"
)

// octokitDir returns the directory holding node_modules/@octokit/..., installing
// the packages on first use. Without npm the tests skip locally, but fail in CI,
// which must really run them.
func octokitDir(t testing.TB) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "perfslo", "octokit-openapi-23.0.2-webhooks-7.6.1")
	done := filepath.Join(dir, ".installed")
	if _, err := os.Stat(done); err == nil {
		return dir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	unlock := lockFile(t, dir+".lock")
	defer unlock()
	if _, err := os.Stat(done); err == nil { // installed while this test waited
		return dir
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("npm is needed to fetch %s and %s (GitHub's API description) and CI=true: install Node.js", openapiPkg, webhooksPkg)
		}
		t.Skipf("npm not found: cannot fetch %s and %s; skipping the GitHub API tests", openapiPkg, webhooksPkg)
	}
	// A package.json of its own keeps npm from installing into a parent
	// directory's project.
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"private": true}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(npm, "install", "--no-save", "--ignore-scripts", "--no-audit", "--no-fund", openapiPkg, webhooksPkg)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		if os.Getenv("CI") != "true" {
			t.Skipf("npm install %s %s failed (offline?): %v\n%s", openapiPkg, webhooksPkg, err, out)
		}
		t.Fatalf("npm install %s %s: %v\n%s", openapiPkg, webhooksPkg, err, out)
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// spec is GitHub's OpenAPI description, parsed once per test binary.
type spec struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
	mu       sync.Mutex
	schemas  map[string]*jsonschema.Schema
}

const specURL = "https://openapi.test/api.github.com.json"

var (
	specOnce   sync.Once
	loadedSpec *spec
	specErr    error
)

func loadSpec(t testing.TB) *spec {
	t.Helper()
	dir := octokitDir(t)
	specOnce.Do(func() {
		f, err := os.Open(filepath.Join(dir, "node_modules/@octokit/openapi/generated/api.github.com.json"))
		if err != nil {
			specErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			specErr = err
			return
		}
		c := jsonschema.NewCompiler()
		// OpenAPI 3.0 schemas are draft-4 style (boolean exclusiveMaximum).
		c.DefaultDraft(jsonschema.Draft4)
		if err := c.AddResource(specURL, doc); err != nil {
			specErr = err
			return
		}
		loadedSpec = &spec{doc: doc.(map[string]any), compiler: c, schemas: map[string]*jsonschema.Schema{}}
	})
	if specErr != nil {
		t.Fatalf("GitHub OpenAPI description: %v", specErr)
	}
	return loadedSpec
}

// operation returns the OpenAPI operation for method and path template.
func (s *spec) operation(t testing.TB, method, template string) map[string]any {
	t.Helper()
	item, ok := s.doc["paths"].(map[string]any)[template].(map[string]any)
	if !ok {
		t.Fatalf("GitHub's OpenAPI description has no path %s", template)
	}
	op, ok := item[strings.ToLower(method)].(map[string]any)
	if !ok {
		t.Fatalf("GitHub's OpenAPI description has no %s %s", method, template)
	}
	return op
}

func pointerEscape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1", "{", "%7B", "}", "%7D").Replace(s)
}

// requestSchema is the compiled JSON schema of an operation's request body.
func (s *spec) requestSchema(t testing.TB, method, template string) *jsonschema.Schema {
	t.Helper()
	key := method + " " + template
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.schemas[key]; ok {
		return sch
	}
	s.operation(t, method, template) // fails clearly if the route is unknown
	loc := specURL + "#/paths/" + pointerEscape(template) + "/" + strings.ToLower(method) +
		"/requestBody/content/" + pointerEscape("application/json") + "/schema"
	sch, err := s.compiler.Compile(loc)
	if err != nil {
		t.Fatalf("compile the request schema of %s: %v", key, err)
	}
	s.schemas[key] = sch
	return sch
}

// resolve follows a local $ref.
func (s *spec) resolve(t testing.TB, v any) any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	ref, ok := m["$ref"].(string)
	if !ok {
		return v
	}
	var cur any = s.doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		cur = cur.(map[string]any)[tok]
		if cur == nil {
			t.Fatalf("dangling $ref %s", ref)
		}
	}
	return s.resolve(t, cur)
}

// example returns a deep copy of the operation's example response for
// status: "default" when there is one, else the first by name.
func (s *spec) example(t testing.TB, method, template, status string) any {
	t.Helper()
	op := s.operation(t, method, template)
	resp := s.resolve(t, op["responses"].(map[string]any)[status]).(map[string]any)
	media := resp["content"].(map[string]any)["application/json"].(map[string]any)
	examples := media["examples"].(map[string]any)
	name := "default"
	if _, ok := examples[name]; !ok {
		var names []string
		for n := range examples {
			names = append(names, n)
		}
		sort.Strings(names)
		name = names[0]
	}
	ex := s.resolve(t, examples[name]).(map[string]any)
	return deepCopy(t, ex["value"])
}

// namedExample returns a deep copy of the operation's example response
// called name (GitHub's contents route has one per kind of content).
func (s *spec) namedExample(t testing.TB, method, template, status, name string) any {
	t.Helper()
	op := s.operation(t, method, template)
	resp := s.resolve(t, op["responses"].(map[string]any)[status]).(map[string]any)
	media := resp["content"].(map[string]any)["application/json"].(map[string]any)
	ex, ok := media["examples"].(map[string]any)[name]
	if !ok {
		t.Fatalf("%s %s %s has no example %q", method, template, status, name)
	}
	return deepCopy(t, s.resolve(t, ex).(map[string]any)["value"])
}

func deepCopy(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// webhookExample returns a copy of one of GitHub's example payloads for
// event whose fields satisfy match.
func webhookExample(t testing.TB, event string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(octokitDir(t), "node_modules/@octokit/webhooks-examples/api.github.com/index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index []struct {
		Name     string           `json:"name"`
		Examples []map[string]any `json:"examples"`
	}
	if err := json.Unmarshal(data, &index); err != nil {
		t.Fatal(err)
	}
	for _, e := range index {
		if e.Name != event {
			continue
		}
		for _, ex := range e.Examples {
			if match(ex) {
				return deepCopy(t, ex).(map[string]any)
			}
		}
	}
	t.Fatalf("no %s example payload matches", event)
	return nil
}
