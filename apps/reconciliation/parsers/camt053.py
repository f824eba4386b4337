"""ISO 20022 camt.053 (BankToCustomerStatement, versions .001.02 to .001.08): the booked entries
(``Ntry``) of each statement, read with lxml without resolving entities or the network."""

from __future__ import annotations

from lxml import etree

from .base import BankRow, FieldError, ParsedFile, RowError, currency_code, minor_units, parse_date

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


def _text(node, path: str, ns: dict) -> str:
    found = node.xpath(path, namespaces=ns)
    return (found[0].text or "").strip() if found and found[0] is not None and found[0].text else ""


def parse_camt053(content: bytes) -> ParsedFile:
    parsed = ParsedFile()
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        parsed.errors.append(RowError(0, "", f"not well-formed XML: {exc}"))
        return parsed
    namespace = etree.QName(root).namespace or ""
    if not namespace.startswith("urn:iso:std:iso:20022:tech:xsd:camt.053"):
        parsed.errors.append(RowError(0, "Document", f"not a camt.053 document (namespace {namespace!r})"))
        return parsed
    ns = {"c": namespace}
    entries = root.xpath("//c:Stmt/c:Ntry", namespaces=ns)
    for number, entry in enumerate(entries, start=1):
        amount_node = entry.find("c:Amt", ns)
        try:
            currency = currency_code(amount_node.get("Ccy", "") if amount_node is not None else "")
        except FieldError as exc:
            parsed.errors.append(RowError(number, "Ntry/Amt/@Ccy", str(exc)))
            continue
        try:
            amount = minor_units(amount_node.text or "", currency)
        except FieldError as exc:
            parsed.errors.append(RowError(number, "Ntry/Amt", str(exc)))
            continue
        indicator = _text(entry, "c:CdtDbtInd", ns)
        if indicator not in ("CRDT", "DBIT"):
            parsed.errors.append(
                RowError(number, "Ntry/CdtDbtInd", f"expected CRDT or DBIT, got {indicator!r}")
            )
            continue
        booked_text = _text(entry, "c:BookgDt/c:Dt", ns) or _text(entry, "c:BookgDt/c:DtTm", ns)[:10]
        try:
            booked = parse_date(booked_text, "%Y-%m-%d")
        except FieldError as exc:
            parsed.errors.append(RowError(number, "Ntry/BookgDt", str(exc)))
            continue
        if _text(entry, "c:Sts", ns) not in ("BOOK", "") and not entry.xpath(
            "c:Sts/c:Cd[text()='BOOK']", namespaces=ns
        ):
            continue  # pending/information entries are not money received
        reference = (
            _text(entry, ".//c:RmtInf/c:Ustrd", ns)
            or _text(entry, ".//c:Refs/c:EndToEndId", ns)
            or _text(entry, "c:AcctSvcrRef", ns)
        )
        counterparty = _text(entry, ".//c:RltdPties/c:Dbtr/c:Nm", ns)
        parsed.bank.append(
            BankRow(
                row_number=number,
                booked_on=booked,
                amount=amount if indicator == "CRDT" else -amount,
                currency=currency,
                reference=reference[:140],
                counterparty=counterparty[:140],
                raw={
                    "Amt": amount_node.text, "Ccy": currency, "CdtDbtInd": indicator, "BookgDt": booked_text,
                    "AcctSvcrRef": _text(entry, "c:AcctSvcrRef", ns), "Ustrd": _text(entry, ".//c:RmtInf/c:Ustrd", ns),
                    "EndToEndId": _text(entry, ".//c:Refs/c:EndToEndId", ns), "Dbtr": counterparty,
                },
            )
        )  # fmt: skip
    if not entries:
        parsed.errors.append(RowError(0, "Stmt/Ntry", "the statement has no entries"))
    return parsed
