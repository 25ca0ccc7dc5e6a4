package web

import (
	"context"
	"net/http"
	"strconv"

	"pbx/billing"
	"pbx/invalid"
	"pbx/money"
	"pbx/routing"
)

// listNumbers filters by ?flow_id= (an id, or "none" for numbers that
// answer no flow) and ?type=.
func (s *Server) listNumbers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := routing.NumberFilter{Type: q.Get("type")}
	switch flow := q.Get("flow_id"); flow {
	case "":
	case "none":
		f.NoFlow = true
	default:
		id, err := strconv.ParseUint(flow, 10, 32)
		if err != nil || id == 0 {
			writeError(w, s.log, invalid.New("flow_id", `must be a flow's id or "none"`))
			return
		}
		f.FlowID = uint(id)
	}
	numbers, err := s.dir.ListNumbers(r.Context(), f)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	out, err := s.withMonthlyPrice(r.Context(), numbers)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"numbers": out})
}

// listedNumber is a number as the list shows it: with the monthly charge
// of a number bought from the inventory (nil for one added by hand, which
// is not billed here).
type listedNumber struct {
	routing.Number
	MonthlyPrice      *money.Credits `json:"monthly_price"`
	MonthlyPriceLocal string         `json:"monthly_price_local,omitempty"`
}

// withMonthlyPrice pairs each number with its running monthly charge, so
// the admin sees what each number costs without a request per row.
func (s *Server) withMonthlyPrice(ctx context.Context, numbers []routing.Number) ([]listedNumber, error) {
	price := map[string]money.Credits{}
	if s.subs != nil {
		subs, err := s.subs.Active(ctx, billing.SubNumber)
		if err != nil {
			return nil, err
		}
		for _, sub := range subs {
			price[sub.Ref] = sub.MonthlyPrice
		}
	}
	out := make([]listedNumber, len(numbers))
	for i, n := range numbers {
		out[i] = listedNumber{Number: n}
		if p, ok := price[n.E164]; ok {
			out[i].MonthlyPrice, out[i].MonthlyPriceLocal = &p, s.local(p)
		}
	}
	return out, nil
}
