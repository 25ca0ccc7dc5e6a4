// Package money is the PBX's one definition of an amount of money: credits
// held as int64 micro-credits, read and written as exact decimal strings,
// and their value in the local currency. It is a leaf: billing keeps the
// ledger, and any package may show an amount.
package money

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Credits is an amount of money in micro-credits (1 credit = 1 USD =
// 1,000,000 micro-credits). Money is never a float.
type Credits int64

// Micro is one credit in micro-credits.
const Micro Credits = 1_000_000

// ErrAmount is the error of an amount that cannot be read.
var ErrAmount = errors.New("not an amount of credits")

// Parse reads a decimal amount of credits ("12.5", "-0.000125",
// "3") exactly; more than six decimals, exponents, or an amount beyond
// what int64 micro-credits hold are refused.
func Parse(s string) (Credits, error) {
	n, err := parseFixed(s, 6)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, ErrAmount)
	}
	return Credits(n), nil
}

// parseFixed reads s as a decimal with at most places decimals, scaled by
// 10^places.
func parseFixed(s string, places int) (int64, error) {
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" && frac == "" || dot && frac == "" || len(frac) > places || !Digits(whole) || !Digits(frac) {
		return 0, ErrAmount
	}
	frac += strings.Repeat("0", places-len(frac))
	n, err := strconv.ParseInt(cmpOr(whole, "0")+frac, 10, 64)
	if err != nil {
		return 0, ErrAmount
	}
	if neg {
		n = -n
	}
	return n, nil
}

// Digits reports whether s is only ASCII digits (or empty).
func Digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// String writes c as a decimal string of credits with no trailing zeros:
// "12.5", "0.000125", "-3".
func (c Credits) String() string {
	return formatFixed(int64(c), 6)
}

func formatFixed(n int64, places int) string {
	neg := n < 0
	u := uint64(n)
	if neg {
		u = uint64(-n) // also right for math.MinInt64
	}
	scale := uint64(math.Pow10(places))
	s := strconv.FormatUint(u/scale, 10)
	if f := u % scale; f != 0 {
		fs := strconv.FormatUint(f, 10)
		fs = strings.Repeat("0", places-len(fs)) + fs
		s += "." + strings.TrimRight(fs, "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// MarshalText writes c as its decimal string, so JSON carries "12.5".
func (c Credits) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads a decimal string of credits.
func (c *Credits) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// mulDiv returns a*b/d rounded half away from zero, exactly (no overflow
// in between), and whether the result fits in int64.
func mulDiv(a, b, d int64) (int64, bool) {
	p := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	neg := (p.Sign() < 0) != (d < 0)
	p.Abs(p)
	dd := new(big.Int).Abs(big.NewInt(d))
	q, r := new(big.Int).QuoRem(p, dd, new(big.Int))
	if r.Lsh(r, 1).Cmp(dd) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

// ExchangeRate is how much of the local currency one credit buys, held to
// six decimals ("0.92" is 920000).
type ExchangeRate int64

// ParseExchangeRate reads a positive decimal rate with at most six decimals.
func ParseExchangeRate(s string) (ExchangeRate, error) {
	n, err := parseFixed(s, 6)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("exchange rate %q: a positive decimal with at most 6 decimals", s)
	}
	return ExchangeRate(n), nil
}

// Local returns c in the local currency, rounded to its cents, as a
// decimal string ("11.50").
func (r ExchangeRate) Local(c Credits) string {
	// micro-credits * (rate * 1e6) / 1e10 = hundredths of the currency.
	cents, ok := mulDiv(int64(c), int64(r), 10_000_000_000)
	if !ok {
		return "overflow"
	}
	s := formatFixed(cents, 2)
	whole, frac, _ := strings.Cut(s, ".")
	return whole + "." + frac + strings.Repeat("0", 2-len(frac))
}
