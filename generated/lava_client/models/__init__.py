"""Contains all the data models used in inputs/outputs"""

from .cycle import Cycle
from .error import Error
from .error_error import ErrorError
from .rate_limit import RateLimit
from .request_limit import RequestLimit
from .revoke_result import RevokeResult
from .spend_key import SpendKey
from .spend_key_create import SpendKeyCreate
from .spend_key_list import SpendKeyList
from .spend_key_status import SpendKeyStatus
from .spend_key_update import SpendKeyUpdate
from .spend_key_with_secret import SpendKeyWithSecret
from .spend_limit import SpendLimit

__all__ = (
    "Cycle",
    "Error",
    "ErrorError",
    "RateLimit",
    "RequestLimit",
    "RevokeResult",
    "SpendKey",
    "SpendKeyCreate",
    "SpendKeyList",
    "SpendKeyStatus",
    "SpendKeyUpdate",
    "SpendKeyWithSecret",
    "SpendLimit",
)
