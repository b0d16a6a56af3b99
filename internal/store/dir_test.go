package store

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/perfslo/perfslo/gate"
)

const results1 = "goos: linux\ngoarch: amd64\npkg: example.com/sum\nBenchmarkSum-2 \t 1000\t 12.5 ns/op\t 0 B/op\t 0 allocs/op\n"

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// entries lists the names in the store's baselines directory, but the lock
// file, which stays.
func entries(t *testing.T, d Dir) []string {
	t.Helper()
	es, err := os.ReadDir(d.baselines())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		if e.Name() != lockFile {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestRoundTrip(t *testing.T) {
	d := Dir{Root: filepath.Join(t.TempDir(), ".perfslo")}
	meta := Meta{
		Name: "main", Commit: "0123abcd", Ref: "refs/heads/main",
		Machine: gate.Machine{GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", CPU: "AMD EPYC", NumCPU: 2},
		Date:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Count:   10, Benchtime: "100ms", GOMAXPROCS: 1, Packages: []string{"./sum"},
	}
	profiles := map[string]string{
		"cpu.pprof":                  writeTemp(t, "cpu", "cpu profile bytes"),
		"head/example.com_sum.pprof": writeTemp(t, "mem", "mem profile bytes"),
	}
	if err := d.Save(meta, []byte(results1), profiles); err != nil {
		t.Fatal(err)
	}
	b, err := d.Load("main")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.Meta, meta) {
		t.Errorf("meta = %+v\nwant %+v", b.Meta, meta)
	}
	if string(b.Results) != results1 {
		t.Errorf("results = %q", b.Results)
	}
	if len(b.Profiles) != 2 {
		t.Errorf("profiles = %v", b.Profiles)
	}
	for name, src := range profiles {
		want, _ := os.ReadFile(src)
		got, err := os.ReadFile(b.Profiles[name])
		if err != nil || string(got) != string(want) {
			t.Errorf("profile %s = %q, %v; want %q", name, got, err, want)
		}
		if !filepath.IsAbs(b.Profiles[name]) {
			t.Errorf("profile path %s not absolute", b.Profiles[name])
		}
	}
	if got := entries(t, d); !reflect.DeepEqual(got, []string{"main"}) {
		t.Errorf("store holds %v, want only main", got)
	}

	// A zero date is set on save.
	if err := d.Save(Meta{Name: "dated"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if b, err := d.Load("dated"); err != nil || time.Since(b.Meta.Date) > time.Minute || len(b.Profiles) != 0 {
		t.Errorf("Load(dated) = %+v, %v", b, err)
	}
}

func TestReplace(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		name := "exchange"
		if fallback {
			name = "rename aside"
		}
		t.Run(name, func(t *testing.T) {
			if fallback {
				saved := exchange
				exchange = func(a, b string) error { return errors.ErrUnsupported }
				t.Cleanup(func() { exchange = saved })
			}
			d := Dir{Root: t.TempDir()}
			if err := d.Save(Meta{Name: "main", Commit: "old"}, []byte("old results\n"),
				map[string]string{"old.pprof": writeTemp(t, "old", "old")}); err != nil {
				t.Fatal(err)
			}
			if err := d.Save(Meta{Name: "main", Commit: "new"}, []byte("new results\n"),
				map[string]string{"new.pprof": writeTemp(t, "new", "new")}); err != nil {
				t.Fatal(err)
			}
			b, err := d.Load("main")
			if err != nil {
				t.Fatal(err)
			}
			if b.Meta.Commit != "new" || string(b.Results) != "new results\n" {
				t.Errorf("after replace: %+v %q", b.Meta, b.Results)
			}
			if _, ok := b.Profiles["old.pprof"]; ok || len(b.Profiles) != 1 {
				t.Errorf("profiles after replace = %v, want only new.pprof", b.Profiles)
			}
			if got := entries(t, d); !reflect.DeepEqual(got, []string{"main"}) {
				t.Errorf("store holds %v after replace, want only main", got)
			}
		})
	}
}

func TestFailedSaveKeepsOld(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	if err := d.Save(Meta{Name: "main", Commit: "old"}, []byte("old\n"), nil); err != nil {
		t.Fatal(err)
	}
	err := d.Save(Meta{Name: "main", Commit: "new"}, []byte("new\n"),
		map[string]string{"cpu.pprof": filepath.Join(t.TempDir(), "missing.pprof")})
	if err == nil || !strings.Contains(err.Error(), `copying profile "cpu.pprof"`) {
		t.Errorf("Save with a missing profile: %v", err)
	}
	if b, err := d.Load("main"); err != nil || b.Meta.Commit != "old" {
		t.Errorf("old baseline after failed save: %+v, %v", b, err)
	}
	if got := entries(t, d); !reflect.DeepEqual(got, []string{"main"}) {
		t.Errorf("failed save left %v", got)
	}
}

func TestBadNames(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	tests := []struct{ name, want string }{
		{"", "empty"},
		{"feature/x", "path separators"},
		{`a\b`, "path separators"},
		{"..", `".."`},
		{"a..b", `".."`},
		{".hidden", `start with "."`},
		{"a b", `character ' '`},
		{"a\x00b", "not allowed"},
		{strings.Repeat("x", 101), "longer than 100"},
	}
	for _, tt := range tests {
		for op, err := range map[string]error{
			"CheckName": CheckName(tt.name),
			"Save":      d.Save(Meta{Name: tt.name}, nil, nil),
		} {
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "invalid baseline name") {
				t.Errorf("%s(%q) = %v, want an error about %s", op, tt.name, err, tt.want)
			}
		}
		if _, err := d.Load(tt.name); err == nil {
			t.Errorf("Load(%q) succeeded", tt.name)
		}
	}
	for _, good := range []string{"main", "release-1.2", "go1.26_linux+amd64", "pr@123", "a=b"} {
		if err := CheckName(good); err != nil {
			t.Errorf("CheckName(%q) = %v", good, err)
		}
	}
	for _, bad := range []string{"../escape", "/abs/x", `a\b`, ""} {
		err := d.Save(Meta{Name: "ok"}, nil, map[string]string{bad: writeTemp(t, "p", "x")})
		if err == nil || !strings.Contains(err.Error(), "invalid profile name") {
			t.Errorf("profile name %q: %v", bad, err)
		}
	}
	if _, err := os.Stat(d.baselines()); err == nil {
		if got := entries(t, d); len(got) != 0 {
			t.Errorf("bad names left %v", got)
		}
	}
}

func TestList(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	if metas, err := d.List(); err != nil || len(metas) != 0 {
		t.Fatalf("empty store: %v, %v", metas, err)
	}
	day := func(n int) time.Time { return time.Date(2026, 3, n, 0, 0, 0, 0, time.UTC) }
	for _, m := range []Meta{
		{Name: "old", Date: day(1)},
		{Name: "newest", Date: day(9)},
		{Name: "b-mid", Date: day(5)},
		{Name: "a-mid", Date: day(5)},
	} {
		if err := d.Save(m, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	metas, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range metas {
		names = append(names, m.Name)
	}
	if want := []string{"newest", "a-mid", "b-mid", "old"}; !reflect.DeepEqual(names, want) {
		t.Errorf("List = %v, want %v", names, want)
	}
}

func TestLoadMissing(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	if _, err := d.Load("main"); err == nil || !strings.Contains(err.Error(), `baseline "main" not found: no baselines saved in`) {
		t.Errorf("Load from empty store: %v", err)
	}
	for _, n := range []string{"release", "main"} {
		if err := d.Save(Meta{Name: n, Date: time.Date(2026, 1, len(n), 0, 0, 0, 0, time.UTC)}, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	_, err := d.Load("mian")
	if err == nil || !strings.HasSuffix(err.Error(), "; available: release, main") {
		t.Errorf("Load(mian) = %v, want the available names", err)
	}
}

func TestCrashLeftovers(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	if err := d.Save(Meta{Name: "main", Commit: "good"}, []byte("good\n"), nil); err != nil {
		t.Fatal(err)
	}
	// A Save killed half-way: a temporary directory with some files.
	half := filepath.Join(d.baselines(), ".tmp-next-123456")
	if err := os.MkdirAll(filepath.Join(half, "profiles"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(half, metaFile), []byte(`{"name": "next", "go_ver`), 0o644); err != nil {
		t.Fatal(err)
	}
	metas, err := d.List()
	if err != nil || len(metas) != 1 || metas[0].Name != "main" {
		t.Errorf("List with a half-written temp dir = %+v, %v", metas, err)
	}
	if _, err := d.Load("next"); err == nil || !strings.Contains(err.Error(), "available: main") {
		t.Errorf("Load(next) = %v", err)
	}
	if _, err := d.Load(".tmp-next-123456"); err == nil {
		t.Error("Load of a temp dir by name succeeded")
	}

	// A Save killed between renaming the old baseline aside and renaming
	// the new one in (systems without exchange): the next Save restores it.
	aside := filepath.Join(d.baselines(), ".old-release-1.2-987654")
	if err := os.Rename(filepath.Join(d.baselines(), "main"), aside); err != nil {
		t.Fatal(err)
	}
	// Under the writers' lock every dot-directory is a dead Save's, however
	// young: the next Save cleans up at once.
	if err := d.Save(Meta{Name: "other"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if b, err := d.Load("release-1.2"); err != nil || b.Meta.Commit != "good" {
		t.Errorf("aside baseline not restored: %+v, %v", b, err)
	}
	if got := entries(t, d); !reflect.DeepEqual(got, []string{"other", "release-1.2"}) {
		t.Errorf("store holds %v, want the stale temp dir gone", got)
	}
}

func TestBrokenMeta(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	if err := d.Save(Meta{Name: "main"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(d.baselines(), "main", metaFile)
	tests := []struct{ content, want string }{
		{"{\n  \"name\": \"main\",\n  \"num_cpu\": \"two\"\n}\n", path + `:3:`},
		{"{\n  \"name\": \"main\",\n  oops\n}\n", path + ":3:3: invalid character 'o'"},
	}
	for _, tt := range tests {
		if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
			t.Fatal(err)
		}
		for op, err := range map[string]error{"Load": loadErr(d, "main"), "List": listErr(d)} {
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s with meta.json %q: %v, want %q", op, tt.content, err, tt.want)
			}
		}
	}
}

func loadErr(d Dir, name string) error { _, err := d.Load(name); return err }
func listErr(d Dir) error              { _, err := d.List(); return err }
