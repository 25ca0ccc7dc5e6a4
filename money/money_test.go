package money

import (
	"encoding/json"
	"math"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Credits
		ok   bool
	}{
		{"0", 0, true}, {"12.5", 12_500_000, true}, {"0.000125", 125, true}, {"-3", -3_000_000, true},
		{".5", 500_000, true}, {"+7.000001", 7_000_001, true}, {"9223372036854.775807", math.MaxInt64, true},
		{"", 0, false}, {"1.", 0, false}, {"1.0000001", 0, false}, {"1e3", 0, false}, {"0x10", 0, false},
		{"1,5", 0, false}, {"NaN", 0, false}, {"9223372036854.775808", 0, false}, {"- 1", 0, false}, {"--1", 0, false},
	} {
		got, err := Parse(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestCreditsString(t *testing.T) {
	for c, want := range map[Credits]string{
		0: "0", 12_500_000: "12.5", 125: "0.000125", -3_000_000: "-3", 1: "0.000001",
		math.MinInt64: "-9223372036854.775808", math.MaxInt64: "9223372036854.775807",
	} {
		if got := c.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int64(c), got, want)
		}
		if back, err := Parse(want); c != math.MinInt64 && (err != nil || back != c) {
			t.Errorf("round trip of %q: %d %v", want, back, err)
		}
	}
	b, _ := json.Marshal(struct{ C Credits }{12_500_000})
	if string(b) != `{"C":"12.5"}` {
		t.Errorf("JSON %s", b)
	}
	var v struct{ C Credits }
	if err := json.Unmarshal([]byte(`{"C":0.5}`), &v); err == nil {
		t.Error("a JSON number was taken as an amount")
	}
}

func TestLocal(t *testing.T) {
	r, err := ParseExchangeRate("0.92")
	if err != nil {
		t.Fatal(err)
	}
	for c, want := range map[Credits]string{
		12_500_000: "11.50", 0: "0.00", 5_435: "0.01", 5_434: "0.00", -1_000_000: "-0.92", 1: "0.00",
	} {
		if got := r.Local(c); got != want {
			t.Errorf("Local(%s) = %s, want %s", c, got, want)
		}
	}
	for _, bad := range []string{"0", "-1", "abc", "1.0000001"} {
		if _, err := ParseExchangeRate(bad); err == nil {
			t.Errorf("rate %q accepted", bad)
		}
	}
}
