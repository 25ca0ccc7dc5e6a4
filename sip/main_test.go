package sip

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test's goroutines (calls, listeners, transactions) must end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("pbx/media.(*engine).run"))
}
