package routing

import (
	"fmt"
	"slices"
	"strconv"

	"gorm.io/gorm"
)

// What a flow or a number uses is not deleted from under it: deleting a
// user, group, media file or trunk that one names is refused with an
// *invalid.InUseError naming them all.

// flowsUsing returns the names of the flows whose draft or published version
// uses id as key ("user_id", "group_id", "file_id"), by uses. Give db a
// context with WithContext.
func flowsUsing(db *gorm.DB, key string, id uint, uses func(*Document) bool) ([]string, error) {
	// The documents are stored as JSON: the text narrows the search, and
	// the decoded documents decide (user_id 3 is also the text of 30).
	like := `%"` + key + `":` + strconv.FormatUint(uint64(id), 10) + `%`
	var flows []Flow
	err := db.Select("id", "name", "draft", "published").
		Where("draft LIKE ? OR published LIKE ?", like, like).Order("name, id").Find(&flows).Error
	if err != nil {
		return nil, fmt.Errorf("flows using %s %d: %w", key, id, err)
	}
	names := []string{}
	for _, f := range flows {
		if uses(&f.Draft) || (f.Published != nil && uses(f.Published)) {
			names = append(names, f.Name)
		}
	}
	return names, nil
}

// FlowsUsingUser returns the names of the flows that transfer calls to user id.
func FlowsUsingUser(db *gorm.DB, id uint) ([]string, error) {
	return flowsUsing(db, "user_id", id, func(d *Document) bool {
		return slices.ContainsFunc(d.States, func(s State) bool { return s.Type == StateTransferUser && s.UserID == id })
	})
}

// FlowsUsingGroup returns the names of the flows that transfer calls to group id.
func FlowsUsingGroup(db *gorm.DB, id uint) ([]string, error) {
	return flowsUsing(db, "group_id", id, func(d *Document) bool {
		return slices.ContainsFunc(d.States, func(s State) bool { return s.Type == StateTransferGroup && s.GroupID == id })
	})
}

// NumbersUsingTrunk returns the numbers (E.164) reached through trunk id,
// for the sip package's trunk store, which must not delete it from under
// them. Give db a context with WithContext.
func NumbersUsingTrunk(db *gorm.DB, id uint) ([]string, error) {
	numbers := []string{}
	if err := db.Model(&Number{}).Where("trunk_id = ?", id).Order("e164").Pluck("e164", &numbers).Error; err != nil {
		return nil, fmt.Errorf("numbers using trunk %d: %w", id, err)
	}
	return numbers, nil
}
