package dashboard

import (
	"strings"
	"testing"
)

// TestScriptHost: the echarts script comes from go-echarts' own host by
// default, from a URL as given, and from a relative directory at each
// page's depth.
func TestScriptHost(t *testing.T) {
	def := string(script("", ""))
	if !strings.Contains(def, "://") || !strings.HasSuffix(def, `echarts.min.js"></script>`) {
		t.Errorf("default: %s", def)
	}
	if got := string(script("https://example.invalid/js/", "../")); !strings.Contains(got, `src="https://example.invalid/js/echarts.min.js"`) {
		t.Errorf("url: %s", got)
	}
	if got := string(script("assets/", "../")); !strings.Contains(got, `src="../assets/echarts.min.js"`) {
		t.Errorf("relative: %s", got)
	}
	if got := slug("github.com/x/examples/sum", "BenchmarkSum/lines=1000"); got != "sum.Sum_lines=1000" {
		t.Errorf("slug %q", got)
	}
}
