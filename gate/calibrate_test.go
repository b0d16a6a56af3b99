package gate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestCalibrationFileLayout: the machine is spelled out in the file as
// calibrate has always written it (cpu_model beside cpu, the GOMAXPROCS),
// and the file reads back into the same calibration.
func TestCalibrationFileLayout(t *testing.T) {
	mde := 0.04
	cal := Calibration{
		Schema: CalibrationSchema, Created: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
		Machine: Machine{GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", CPU: "AMD EPYC 7763", NumCPU: 2},
		Count:   10, CPU: 1, Rounds: 20, Alpha: 0.05, Power: 0.8, Tests: 3,
		Benchmarks: []CalibratedNoise{{Package: "example.com/m/sum", Benchmark: "BenchmarkSum", Unit: "sec/op", N: 40, CV: 0.01, MDE: &mde}},
	}
	data, err := json.Marshal(cal)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = `{"schema":1,"created":"2026-05-01T12:00:00Z","go_version":"go1.26.8","goos":"linux","goarch":"amd64","cpu_model":"AMD EPYC 7763","num_cpu":2,"count":10,"cpu":1,"rounds":20,`
	if !strings.HasPrefix(string(data), prefix) {
		t.Errorf("calibration file starts\n%s\nwant\n%s", data, prefix)
	}
	back, err := ParseCalibration("calibration.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*back, cal) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", *back, cal)
	}
	bad := strings.Replace(string(data), `"rounds":20`, `"rounds":20,"colour":"blue"`, 1)
	if _, err := ParseCalibration("calibration.json", []byte(bad)); err == nil || !strings.Contains(err.Error(), `unknown field "colour"`) {
		t.Errorf("unknown field: %v", err)
	}
}
