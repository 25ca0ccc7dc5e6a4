package invalid

import "strings"

// InUseError refuses to delete something that others still use. The API
// answers it with 409, naming them, so that the client can say what to
// change first.
type InUseError struct {
	What    string   // what was to be deleted, starting the message: "the user"
	Flows   []string // names of the call flows that use it
	Numbers []string // the numbers (E.164) that use it
}

func (e *InUseError) Error() string {
	var parts []string
	if len(e.Flows) > 0 {
		parts = append(parts, "call flows: "+strings.Join(e.Flows, ", "))
	}
	if len(e.Numbers) > 0 {
		parts = append(parts, "numbers: "+strings.Join(e.Numbers, ", "))
	}
	return e.What + " is used by " + strings.Join(parts, "; and by ")
}

// InUse returns an *InUseError for what when flows or numbers name any
// user, and nil when they are both empty.
func InUse(what string, flows, numbers []string) error {
	if len(flows) == 0 && len(numbers) == 0 {
		return nil
	}
	if flows == nil {
		flows = []string{}
	}
	if numbers == nil {
		numbers = []string{}
	}
	return &InUseError{What: what, Flows: flows, Numbers: numbers}
}
