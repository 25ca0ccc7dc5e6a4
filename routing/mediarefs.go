package routing

import (
	"slices"

	"gorm.io/gorm"
)

// FlowsUsingFile returns the names of the flows whose draft or published
// version plays the uploaded media file fileID (as a prompt, a queue's
// notification or its music), so that the file is not deleted from under
// them. Give db a context with WithContext.
func FlowsUsingFile(db *gorm.DB, fileID uint) ([]string, error) {
	return flowsUsing(db, "file_id", fileID, func(d *Document) bool { return d.usesFile(fileID) })
}

// usesFile reports whether any prompt of d plays the media file id.
func (d *Document) usesFile(id uint) bool {
	return slices.ContainsFunc(d.States, func(s State) bool {
		return slices.ContainsFunc(s.prompts(), func(p statePrompt) bool { return p.FileID == id })
	})
}

// statePrompt is one prompt of a state, with where it sits in the state.
type statePrompt struct {
	at string // "prompt", "queue.notify", "queue.music"
	Prompt
}

// prompts returns the prompts a state sets.
func (s State) prompts() []statePrompt {
	var out []statePrompt
	add := func(at string, p *Prompt) {
		if p != nil {
			out = append(out, statePrompt{at, *p})
		}
	}
	add("prompt", s.Prompt)
	if s.Queue != nil {
		add("queue.notify", s.Queue.Notify)
		add("queue.music", s.Queue.Music)
	}
	return out
}
