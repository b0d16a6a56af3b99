module github.com/perfslo/perfslo/examples

go 1.26
