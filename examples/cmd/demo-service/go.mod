module github.com/perfslo/perfslo/examples/cmd/demo-service

go 1.26.8

require (
	github.com/perfslo/perfslo v0.0.0
	github.com/perfslo/perfslo/examples v0.0.0
)

require (
	github.com/davecgh/go-spew v1.1.2-0.20180830191138-d8f796af33cc // indirect
	github.com/grafana/pyroscope-go v1.5.0 // indirect
	github.com/grafana/pyroscope-go/godeltaprof v0.1.12 // indirect
	github.com/klauspost/compress v1.20.2 // indirect
	github.com/pmezard/go-difflib v1.0.1-0.20181226105442-5d4384ee4fb2 // indirect
)

replace github.com/perfslo/perfslo => ../../..

replace github.com/perfslo/perfslo/examples => ../..
