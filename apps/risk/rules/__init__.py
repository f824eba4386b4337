"""The rule language: grammar (parse), evaluation (three-valued) and the linter."""

from .evaluate import compile_predicate as compile_predicate
from .evaluate import list_probes as list_probes
from .grammar import RuleSyntaxError as RuleSyntaxError
from .grammar import attributes_of as attributes_of
from .grammar import lists_of as lists_of
from .grammar import parse as parse
from .lint import lint as lint
