// String formats of CRD schemas, as the apiextensions-apiserver keeps them
// (validation.StripUnsupportedFormatsPostProcess: every other format, including int32/int64/
// float/double, is ignored by the real server, and is ignored here).
//
// Guarantees: the checks below accept what the kube-openapi strfmt checkers accept for the
// everyday formats (date-time, date, duration, uuid*, ipv4, ipv6, cidr, mac, hostname, email,
// byte, uri, hexcolor, rgbcolor, bsonobjectid, ssn, isbn*, creditcard, password).
// Deviations: email and uri use simplified grammars (Go uses net/mail and net/url), and ISBN
// checksums are not verified.

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID3 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID4 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const UUID5 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)\s*(ns|us|µs|μs|ms|s|m|h|d|w)\s*)+$/;
const HOSTNAME =
  /^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$/u;
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;
const MAC = /^([0-9a-f]{2}([:-])){5}[0-9a-f]{2}$|^([0-9a-f]{4}\.){2}[0-9a-f]{4}$/i;
const HEXCOLOR = /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const RGBCOLOR = /^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$/;
const BSON = /^[0-9a-f]{24}$/i;
const SSN = /^\d{3}[- ]?\d{2}[- ]?\d{4}$/;
const ISBN10 = /^(?:\d[- ]?){9}[\dXx]$/;
const ISBN13 = /^(?:\d[- ]?){12}\d$/;
const CREDITCARD =
  /^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function validDate(y: string, m: string, d: string): boolean {
  const [yy, mm, dd] = [Number(y), Number(m), Number(d)];
  if (mm < 1 || mm > 12 || dd < 1) return false;
  return dd <= new Date(Date.UTC(yy, mm, 0)).getUTCDate();
}

function isDateTime(s: string): boolean {
  const m = DATE_TIME.exec(s);
  if (!m) return false;
  const [, y, mo, d, h, mi, sec] = m;
  return validDate(y ?? '', mo ?? '', d ?? '') && Number(h) < 24 && Number(mi) < 60 && Number(sec) < 61;
}

function isDate(s: string): boolean {
  const m = DATE.exec(s);
  return m !== null && validDate(m[1] ?? '', m[2] ?? '', m[3] ?? '');
}

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function isIPv6(s: string): boolean {
  if (!s.includes(':')) return false;
  try {
    return new URL(`http://[${s}]/`).hostname.length > 0;
  } catch {
    return false;
  }
}

function isCIDR(s: string): boolean {
  const [ip, bits, extra] = s.split('/');
  if (extra !== undefined || ip === undefined || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  if (isIPv4(ip)) return Number(bits) <= 32;
  return isIPv6(ip) && Number(bits) <= 128;
}

function isURI(s: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) && !s.startsWith('/')) return false;
  try {
    new URL(s, 'http://base.invalid');
    return true;
  } catch {
    return false;
  }
}

function isRGB(s: string): boolean {
  const m = RGBCOLOR.exec(s);
  return m !== null && m.slice(1, 4).every((c) => Number(c) <= 255);
}

const CHECKERS: Record<string, (s: string) => boolean> = {
  datetime: isDateTime,
  date: isDate,
  duration: (s) => DURATION.test(s),
  uuid: (s) => UUID.test(s),
  uuid3: (s) => UUID3.test(s),
  uuid4: (s) => UUID4.test(s),
  uuid5: (s) => UUID5.test(s),
  ipv4: isIPv4,
  ipv6: isIPv6,
  cidr: isCIDR,
  mac: (s) => MAC.test(s),
  hostname: (s) => s.length <= 255 && HOSTNAME.test(s),
  email: (s) => EMAIL.test(s),
  byte: (s) => BASE64.test(s),
  uri: isURI,
  hexcolor: (s) => HEXCOLOR.test(s),
  rgbcolor: isRGB,
  bsonobjectid: (s) => BSON.test(s),
  ssn: (s) => SSN.test(s),
  isbn: (s) => ISBN10.test(s) || ISBN13.test(s),
  isbn10: (s) => ISBN10.test(s),
  isbn13: (s) => ISBN13.test(s),
  creditcard: (s) => CREDITCARD.test(s.replace(/\D/g, '')),
  password: () => true,
};

/** go-openapi normalizes format names by dropping dashes (`date-time` → `datetime`). */
export function normalizeFormat(format: string): string {
  return format.replaceAll('-', '');
}


/** True when `value` conforms to `format`, or the format is not one the server checks. */
export function conformsToFormat(format: string, value: string): boolean {
  const check = CHECKERS[normalizeFormat(format)];
  return check ? check(value) : true;
}
