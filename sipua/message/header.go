package message

// headerID identifies a header field the package knows by name; hOther is
// every other (extension) header field, compared by its name as received.
type headerID uint8

const (
	hOther headerID = iota
	hAccept
	hAcceptContact
	hAcceptEncoding
	hAcceptLanguage
	hAlertInfo
	hAllow
	hAllowEvents
	hAuthenticationInfo
	hAuthorization
	hCallID
	hCallInfo
	hContact
	hContentDisposition
	hContentEncoding
	hContentLanguage
	hContentLength
	hContentType
	hCSeq
	hDate
	hErrorInfo
	hEvent
	hExpires
	hFrom
	hIdentity
	hInReplyTo
	hMaxForwards
	hMinExpires
	hMinSE
	hOrganization
	hPath
	hPriority
	hProxyAuthenticate
	hProxyAuthorization
	hProxyRequire
	hRAck
	hReason
	hRecordRoute
	hReferTo
	hReferredBy
	hRejectContact
	hReplyTo
	hRequestDisposition
	hRequire
	hRetryAfter
	hRoute
	hRSeq
	hServer
	hServiceRoute
	hSessionExpires
	hSubject
	hSubscriptionState
	hSupported
	hTimestamp
	hTo
	hUnsupported
	hUserAgent
	hVia
	hWarning
	hWWWAuthenticate
	numHeaderIDs
)

// headerInfo describes a known header field.
type headerInfo struct {
	name string // canonical spelling, as this package sends it
	list bool   // the value is a comma-separated list (RFC 3261 §7.3.1)
}

var headerInfos = [numHeaderIDs]headerInfo{
	hAccept:             {"Accept", true},
	hAcceptContact:      {"Accept-Contact", true},
	hAcceptEncoding:     {"Accept-Encoding", true},
	hAcceptLanguage:     {"Accept-Language", true},
	hAlertInfo:          {"Alert-Info", true},
	hAllow:              {"Allow", true},
	hAllowEvents:        {"Allow-Events", true},
	hAuthenticationInfo: {"Authentication-Info", false},
	hAuthorization:      {"Authorization", false},
	hCallID:             {"Call-ID", false},
	hCallInfo:           {"Call-Info", true},
	hContact:            {"Contact", true},
	hContentDisposition: {"Content-Disposition", false},
	hContentEncoding:    {"Content-Encoding", true},
	hContentLanguage:    {"Content-Language", true},
	hContentLength:      {"Content-Length", false},
	hContentType:        {"Content-Type", false},
	hCSeq:               {"CSeq", false},
	hDate:               {"Date", false},
	hErrorInfo:          {"Error-Info", true},
	hEvent:              {"Event", false},
	hExpires:            {"Expires", false},
	hFrom:               {"From", false},
	hIdentity:           {"Identity", false},
	hInReplyTo:          {"In-Reply-To", true},
	hMaxForwards:        {"Max-Forwards", false},
	hMinExpires:         {"Min-Expires", false},
	hMinSE:              {"Min-SE", false},
	hOrganization:       {"Organization", false},
	hPath:               {"Path", true},
	hPriority:           {"Priority", false},
	hProxyAuthenticate:  {"Proxy-Authenticate", false},
	hProxyAuthorization: {"Proxy-Authorization", false},
	hProxyRequire:       {"Proxy-Require", true},
	hRAck:               {"RAck", false},
	hReason:             {"Reason", true},
	hRecordRoute:        {"Record-Route", true},
	hReferTo:            {"Refer-To", false},
	hReferredBy:         {"Referred-By", false},
	hRejectContact:      {"Reject-Contact", true},
	hReplyTo:            {"Reply-To", false},
	hRequestDisposition: {"Request-Disposition", true},
	hRequire:            {"Require", true},
	hRetryAfter:         {"Retry-After", false},
	hRoute:              {"Route", true},
	hRSeq:               {"RSeq", false},
	hServer:             {"Server", false},
	hServiceRoute:       {"Service-Route", true},
	hSessionExpires:     {"Session-Expires", false},
	hSubject:            {"Subject", false},
	hSubscriptionState:  {"Subscription-State", false},
	hSupported:          {"Supported", true},
	hTimestamp:          {"Timestamp", false},
	hTo:                 {"To", false},
	hUnsupported:        {"Unsupported", true},
	hUserAgent:          {"User-Agent", false},
	hVia:                {"Via", true},
	hWarning:            {"Warning", true},
	hWWWAuthenticate:    {"WWW-Authenticate", false},
}

// compactForms maps the one-letter forms of RFC 3261 §7.3.3 and its
// extensions (lower case) to the header they abbreviate.
var compactForms = [128]headerID{
	'a': hAcceptContact,
	'b': hReferredBy,
	'c': hContentType,
	'd': hRequestDisposition,
	'e': hContentEncoding,
	'f': hFrom,
	'i': hCallID,
	'j': hRejectContact,
	'k': hSupported,
	'l': hContentLength,
	'm': hContact,
	'r': hReferTo,
	's': hSubject,
	't': hTo,
	'u': hAllowEvents,
	'v': hVia,
	'x': hSessionExpires,
	'y': hIdentity,
}

// Known header names are found in an open-addressed table hashed on their
// length and first and last letters, compared without regard to case.
const nameTableSize = 256 // a power of two, well above numHeaderIDs

var (
	lowerNames = func() (names [numHeaderIDs]string) {
		for id := range names {
			b := []byte(headerInfos[id].name)
			for i, c := range b {
				b[i] = lowerASCII[c]
			}
			names[id] = string(b)
		}
		return names
	}()
	nameTable = func() (t [nameTableSize]headerID) {
		for id := hOther + 1; id < numHeaderIDs; id++ {
			n := headerInfos[id].name
			h := nameHash(n[0], n[len(n)-1], len(n))
			for t[h] != hOther {
				h = (h + 1) % nameTableSize
			}
			t[h] = id
		}
		return t
	}()
)

func nameHash(first, last byte, n int) int {
	return (int(lowerASCII[first])*31 + int(lowerASCII[last])*7 + n*13) % nameTableSize
}

// lookupHeader returns the ID of the header field called name, in any
// letter case and in compact form, or hOther.
func lookupHeader[T string | []byte](name T) headerID {
	if len(name) == 1 {
		if c := lowerASCII[name[0]]; c < 128 {
			return compactForms[c]
		}
		return hOther
	}
	if len(name) == 0 {
		return hOther
	}
	for h := nameHash(name[0], name[len(name)-1], len(name)); nameTable[h] != hOther; h = (h + 1) % nameTableSize {
		if equalFold(name, lowerNames[nameTable[h]]) {
			return nameTable[h]
		}
	}
	return hOther
}

// CanonicalName returns the canonical spelling of a header field name given
// in any letter case or in compact form ("v" and "VIA" give "Via"), and name
// itself when the package does not know the header field.
func CanonicalName(name string) string {
	if id := lookupHeader(name); id != hOther {
		return headerInfos[id].name
	}
	return name
}
