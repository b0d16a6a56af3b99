// Command knob prints the regression knob as parsed, so that the inject
// tests can check that -ldflags -X values reach it. It is built only by
// those tests.
package main

import (
	"fmt"

	"github.com/perfslo/perfslo/examples/internal/inject"
)

var (
	sum     = inject.NewSite("sum")
	jsonenc = inject.NewSite("jsonenc")
)

func main() {
	fmt.Printf("work=%q allocs=%q sum=%v jsonenc=%v\n", inject.Work, inject.Allocs, sum.Enabled(), jsonenc.Enabled())
}
