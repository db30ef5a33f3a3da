package runtime

// maxIDLen is runc's limit on container ids.
const maxIDLen = 1024

// ValidateID checks an id against runc's rule: letters, digits and
// `_ + - .`, not "." or "..", at most 1024 bytes. Ids are checked before any
// path is built from them.
func ValidateID(id string) error {
	switch {
	case id == "":
		return wrapf(ErrInvalid, "invalid id: empty")
	case id == "." || id == "..":
		return wrapf(ErrInvalid, "invalid id %q", id)
	case len(id) > maxIDLen:
		return wrapf(ErrInvalid, "invalid id: %d bytes, at most %d allowed", len(id), maxIDLen)
	case id[0] == '-':
		return wrapf(ErrInvalid, "invalid id %q: it begins with '-', which a runtime would read as an option", shorten(id))
	}
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			return wrapf(ErrInvalid, "invalid id %q: byte %q is not a letter, digit or one of _+-.", shorten(id), id[i])
		}
	}
	return nil
}

func idByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
		b == '_' || b == '+' || b == '-' || b == '.'
}

// shorten keeps error messages readable for very long ids.
func shorten(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:64] + "..."
}
