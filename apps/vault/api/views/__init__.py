"""Thin views: parse → selector/service → representation. One module per resource; the URLconf
keeps `views.<Name>` through these explicit re-exports."""

from .customers import CustomerDetailView as CustomerDetailView
from .customers import CustomerListCreateView as CustomerListCreateView
from .customers import CustomerPaymentMethodsView as CustomerPaymentMethodsView
from .customers import CustomerSearchView as CustomerSearchView
from .payment_methods import PaymentMethodAttachView as PaymentMethodAttachView
from .payment_methods import PaymentMethodDetachView as PaymentMethodDetachView
from .payment_methods import PaymentMethodDetailView as PaymentMethodDetailView
from .payment_methods import PaymentMethodListCreateView as PaymentMethodListCreateView
from .payment_methods import PaymentMethodVerifyView as PaymentMethodVerifyView
from .tokens import TokenCreateView as TokenCreateView
from .tokens import TokenDetailView as TokenDetailView
