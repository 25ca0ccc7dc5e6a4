package billing

import (
	"testing"

	"go.uber.org/goleak"
)

// Auto-recharges and the webhook sender end with their tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
