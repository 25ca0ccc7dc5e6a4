package configs

import (
	_ "embed"
	"fmt"
	"os"
)

//go:embed rates.example.csv
var exampleRates []byte

// RatesCSV returns the CSV of rates to load when there are none: the file
// billing.rates names, or the built-in example rates.
func (b Billing) RatesCSV() ([]byte, error) {
	if b.Rates == "" {
		return exampleRates, nil
	}
	data, err := os.ReadFile(b.Rates)
	if err != nil {
		return nil, fmt.Errorf("billing.rates (PBX_RATES): %w", err)
	}
	return data, nil
}
