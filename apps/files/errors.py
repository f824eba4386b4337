"""The errors of file uploads (codes, HTTP status and message as clients see them). Every refusal
happens before a byte is stored."""

from apps.core.errors import InvalidRequestError


class FilePurposeInvalid(InvalidRequestError):
    code = "parameter_invalid"
    message = "Invalid purpose: {value!r}. Files take the purpose dispute_evidence."
    param = "purpose"
    stored = False


class FileMissing(InvalidRequestError):
    code = "parameter_missing"
    message = "Missing required param: file (a multipart/form-data file part)."
    param = "file"
    stored = False


class FileEmpty(InvalidRequestError):
    code = "file_empty"
    message = "The file is empty."
    param = "file"
    stored = False


class FileTooLarge(InvalidRequestError):
    code = "file_too_large"
    message = "The file has {size} bytes; files for {purpose} may have at most {limit} bytes."
    param = "file"
    stored = False


class FileTypeUnsupported(InvalidRequestError):
    code = "file_type_unsupported"
    message = "The file's content is not a PDF, JPEG or PNG document (its first bytes were checked)."
    param = "file"
    stored = False


class FileTypeMismatch(InvalidRequestError):
    code = "file_type_mismatch"
    message = "The file's name ends in .{extension} but its content is a {detected} document."
    param = "file"
    stored = False


class FileLinkExpiryInvalid(InvalidRequestError):
    code = "parameter_invalid"
    message = "expires_at must be a unix timestamp in the future."
    param = "expires_at"
    stored = False
