package routing

import (
	"fmt"
	"slices"
	"strconv"

	"gorm.io/gorm"
)

// FlowsUsingFile returns the names of the flows whose draft or published
// version plays the uploaded media file fileID (as a prompt, a queue's
// notification or its music), so that the file is not deleted from under
// them. Give db a context with WithContext.
func FlowsUsingFile(db *gorm.DB, fileID uint) ([]string, error) {
	// The documents are stored as JSON: the text narrows the search, and
	// the decoded documents decide (file_id 3 is also the text of 30).
	like := `%"file_id":` + strconv.FormatUint(uint64(fileID), 10) + `%`
	var flows []Flow
	err := db.Select("id", "name", "draft", "published").
		Where("draft LIKE ? OR published LIKE ?", like, like).Order("name, id").Find(&flows).Error
	if err != nil {
		return nil, fmt.Errorf("flows using media file %d: %w", fileID, err)
	}
	names := []string{}
	for _, f := range flows {
		if f.Draft.usesFile(fileID) || (f.Published != nil && f.Published.usesFile(fileID)) {
			names = append(names, f.Name)
		}
	}
	return names, nil
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
