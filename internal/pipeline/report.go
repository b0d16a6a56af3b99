package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/perfslo/perfslo/internal/atomicfile"
	"github.com/perfslo/perfslo/internal/dashboard"
)

// WriteDashboard writes the HTML dashboard of a history view into dir.
// assets says where echarts.min.js comes from: "" for go-echarts' default
// host, a URL prefix, or a local echarts.min.js (or a directory holding
// it), which is copied to dir/assets/ so the pages work offline.
func WriteDashboard(dir string, v *HistoryView, assets string) ([]dashboard.Row, error) {
	host, err := placeAssets(dir, assets)
	if err != nil {
		return nil, err
	}
	return dashboard.Write(dir, dashboard.Input{Trends: v.Trends, Creep: v.Creeping(), Burn: v.Burn, Steps: v.Steps, Assets: host})
}

func placeAssets(dir, assets string) (string, error) {
	if assets == "" || strings.Contains(assets, "://") {
		if assets != "" && !strings.HasSuffix(assets, "/") {
			assets += "/"
		}
		return assets, nil
	}
	src := assets
	if st, err := os.Stat(src); err == nil && st.IsDir() {
		src = filepath.Join(src, "echarts.min.js")
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("--assets %s: want echarts.min.js or a directory holding it (npm's echarts package has it in dist/): %w", assets, err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, "assets", "echarts.min.js"), data); err != nil {
		return "", err
	}
	return "assets/", nil
}
