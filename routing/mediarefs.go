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
		prompts := []*Prompt{s.Prompt}
		if s.Queue != nil {
			prompts = append(prompts, s.Queue.Notify, s.Queue.Music)
		}
		return slices.ContainsFunc(prompts, func(p *Prompt) bool { return p != nil && p.FileID == id })
	})
}
