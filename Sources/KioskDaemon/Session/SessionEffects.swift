import AgentAuth
import Foundation
import KioskCore
import Outbox
import SystemIO

/// The session's effects, performed against the station's parts: each result
/// comes back to the session as an event (``SessionRuntime/send(_:)``).
extension SessionRuntime {
    /// Prints a receipt; a failure comes back to the session as `printFailed`.
    private func print(_ receipt: Receipt, on printer: any ReceiptPrinter) {
        Task {
            do throws(DeviceError) {
                _ = try await printer.printReceipt(receipt)
            } catch {
                self.send(.printFailed(reason: SessionText(error.resident ?? .receiptPrinterFault)))
            }
        }
    }

    /// Prints on the A4 printer; a failure comes back to the session as `documentNotPrinted`.
    private func printDocument(_ document: PrintDocument, title: String, on printer: any DocumentPrinter) {
        Task {
            do throws(DeviceError) { try await printer.printDocument(document, title: title) } catch {
                self.logger.warning("the A4 printer did not print the \(title): \(error.message)")
                // Canceled: it will not come out later, for whoever stands at the printer then; the resident is told so.
                self.send(.documentNotPrinted(reason: SessionText(error.code == .canceled ? .a4JobCanceled : .a4PrinterFault)))
            }
        }
    }

    /// A record (JSON) sealed to the platform's key, bound to a fresh id the platform is told.
    private static func seal(_ record: [String: Any], with store: any ApplicationStore) throws -> (envelope: [UInt8], binding: String) {
        let binding = UUID().uuidString.lowercased()
        return (try store.seal(record: Array(try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])), binding: binding), binding)
    }

    func perform(_ effect: SessionEffect) {
        switch effect {
        case .enqueue(let request, var submission):
            let lookup = self.lookup, store = self.store
            Task {
                // Residents find their cases by card later: the key is a slow hash, never the number.
                if submission.isFindableByCard {
                    submission.applicantLookupKey = try? lookup.key(for: submission.applicantCertificateNumber)
                }
                do {
                    let number = try await store.enqueue(submission)
                    self.metrics?.applicationEnqueued(true)
                    self.send(.enqueueCommitted(request: request, trackingNumber: number))
                } catch {
                    self.metrics?.applicationEnqueued(false)
                    self.logger.error("an application could not be saved: \(error)")
                    let diskFull = (error as? OutboxError)?.code == .diskFull
                    self.send(.enqueueFailed(request: request, reason: SessionText(diskFull ? .diskFull : .kioskFault)))
                }
            }
        case .awaitPlatformCase(let request, let number, let seconds):
            let store = self.store
            Task {
                // The forwarder was woken by the enqueue; a row read every 100 ms sees its acknowledgement.
                let deadline = ContinuousClock.now + .seconds(seconds)
                var caseNumber: String?
                while caseNumber == nil, ContinuousClock.now < deadline {
                    caseNumber = try? store.platformCaseNumber(number)
                    if caseNumber == nil { try? await Task.sleep(for: .milliseconds(100)) }
                }
                self.send(.platformCase(request: request, caseNumber: caseNumber))
            }
        case .printReceipt(let receipt):
            // Kept (masked) with its row first, so it can be printed again whatever the printer does.
            do { try store.keepReceipt(receipt.masked) } catch { logger.error("the receipt of \(receipt.trackingNumber) could not be kept for reprinting: \(error)") }
            guard let printer else {
                send(.printFailed(reason: SessionText(.noReceiptPrinter)))
                return
            }
            print(receipt, on: printer)
        case .startScan(let request, _, _):
            guard let scanner else {
                send(.scanFailed(request: request, reason: SessionText(.noScanner)))
                return
            }
            scanTask = Task {
                do throws(DeviceError) {
                    let pages = try await scanner.scanPages { page, percent in
                        Task { await self.send(.scanProgressed(request: request, page: page, percent: percent)) }
                    }
                    self.send(.scanFinished(request: request, pages: pages))
                } catch {
                    self.logger.warning("a scan failed: \(error.message)")
                    self.send(.scanFailed(request: request, reason: SessionText(error.resident ?? .scannerFault)))
                }
            }
        case .cancelScan:
            scanTask?.cancel()
            scanTask = nil
        case .audit(let note):
            do { try store.audit(note) } catch { logger.error("the audit trail could not be written: \(error)") }
        case .lookupCases(let request, let number):
            let lookup = self.lookup, store = self.store
            Task {
                do {
                    let cases = try store.cases(applicantKey: try lookup.key(for: number), limit: 50).map(CaseSummary.init)
                    self.send(.casesFound(request: request, cases: cases))
                } catch {
                    self.logger.warning("a resident's case lookup failed: \(error)")
                    self.send(.caseLookupFailed(request: request, reason: SessionText(.lookupFailed)))
                }
            }
        case .listStationCases(let request):
            do {
                send(.casesFound(request: request, cases: try store.stationCases(limit: 200).map(CaseSummary.init)))
            } catch {
                logger.warning("the station's cases could not be listed: \(error)")
                send(.requestFailed(request: request, reason: SessionText(.lookupFailed)))
            }
        case .verifyAgentPIN(let request, let agentID, let pin):
            let pins = self.pins, time = now(), logger = self.logger
            // The check is slow on purpose (scrypt): off the actor.
            Task.detached {
                do {
                    await self.send(.agentPINChecked(request: request, result: try pins.check(agentID: agentID, pin: pin, now: time)))
                } catch {
                    // A try that cannot be kept does not log anyone in.
                    logger.error("an agent's PIN try could not be kept in the state database, so it is refused: \(error)")
                    await self.send(.requestFailed(request: request, reason: SessionText(.lookupFailed)))
                }
            }
        case .lookupECertificates(let request, let number, let types):
            guard let platform else {
                send(.eCertificateLookupFailed(request: request, reason: SessionText(.eCertificatesUnavailable)))
                return
            }
            let store = self.store, station = reducer.settings.stationCode, time = now()
            Task {
                do {
                    // The consent goes sealed: only the platform learns whose certificates are asked for.
                    let consent = try Self.seal([
                        "id_number": number, "purpose": "电子证照查询", "certificate_types": types, "station_code": station, "consented_at": Int(time),
                    ], with: store)
                    let found = try await platform.lookupECertificates(consent: consent.envelope, consentID: consent.binding, types: types)
                    self.send(.eCertificatesFound(request: request, types: found))
                } catch {
                    self.logger.warning("e-certificate lookup failed: \(error)")
                    self.send(.eCertificateLookupFailed(request: request, reason: SessionText(.eCertificatesFailed)))
                }
            }
        case .submitInteraction(let request, let interaction):
            guard let platform else {
                send(.requestFailed(request: request, reason: SessionText(.consultationUnavailable)))
                return
            }
            let store = self.store
            Task {
                do {
                    var contact: [String: String] = [:]
                    contact["name"] = interaction.personName
                    contact["id_number"] = interaction.personIDNumber
                    contact["phone"] = interaction.phone
                    let sealed = contact.isEmpty ? nil : try Self.seal(contact, with: store)
                    let reference = try await platform.submitConsultation(
                        kind: interaction.kind.chinese, title: "\(interaction.kind.chinese)：\(interaction.text.prefix(20))", content: interaction.text,
                        sealedContact: sealed?.envelope, contactID: sealed?.binding ?? UUID().uuidString.lowercased())
                    self.send(.interactionSent(request: request, reference: reference))
                } catch {
                    self.logger.warning("a consultation could not be forwarded: \(error)")
                    self.send(.requestFailed(request: request, reason: SessionText(.consultationFailed)))
                }
            }
        case .makeReservation(let request, let reservation):
            guard let platform, let visit = state.visit else {
                send(.requestFailed(request: request, reason: SessionText(.reservationUnavailable)))
                return
            }
            let store = self.store
            // The platform reads Chinese whatever the screen's language.
            let missing = reservation.missing.map(phrasebooks.zh.render)
            var contact: [String: String] = [:]
            contact["name"] = visit.resident?.name ?? visit.enterprise?.name
            contact["id_number"] = visit.resident?.number ?? visit.enterprise?.creditCode.value
            Task {
                do {
                    let sealed = try Self.seal(contact, with: store)
                    let reference = try await platform.reserve(serviceCode: reservation.serviceCode, date: reservation.date.description,
                                                               missing: missing, sealedContact: sealed.envelope, contactID: sealed.binding)
                    self.send(.reservationMade(request: request, reference: reference))
                } catch {
                    self.logger.warning("a reservation could not be booked: \(error)")
                    self.send(.requestFailed(request: request, reason: SessionText(.reservationFailed)))
                }
            }
        case .submitRating(let rating):
            // Kept until the platform has given the case its number; the forwarder sends it.
            do { try store.recordRating(rating) } catch { logger.error("a rating could not be kept: \(error)") }
        case .reprintReceipt(let number):
            guard let printer, let kept = try? store.keptReceipt(number) else {
                send(.printFailed(reason: printer == nil ? SessionText(.noReceiptPrinter) : SessionText(.receiptNotFound, ["number": .verbatim(number)])))
                return
            }
            print(kept.reprinted, on: printer)
        case .printNotice(let notice, let preferA4):
            if preferA4, let documentPrinter {
                printDocument(notice.document(columns: 80), title: notice.title, on: documentPrinter)
            } else if let printer {
                Task {
                    do throws(DeviceError) { try await printer.printNotice(notice) } catch {
                        self.send(.documentNotPrinted(reason: SessionText(error.resident ?? .receiptPrinterFault)))
                    }
                }
            } else {
                send(.documentNotPrinted(reason: SessionText(.noReceiptPrinter)))
            }
        case .printForm(let form):
            guard let documentPrinter else {
                send(.documentNotPrinted(reason: SessionText(.noA4Printer)))
                return
            }
            printDocument(form.document(), title: "application form", on: documentPrinter)
        case .speak(let text):
            prompt = text
            spoken += 1
        case .sessionEnded(let reason):
            // What was said to the last resident goes with them.
            prompt = nil
            metrics?.sessionEnded(reason, saved: savedThisSession)
            savedThisSession = false
            // A visit's scans (up to ~9 MB a raw A4 page, compressed on several threads) leave the
            // allocator holding their high-water mark; give it back to the system for the next visit,
            // now and again a little later, after what the visit set going (its upload, its receipt) is done.
            Allocator.releaseFreeMemory()
            Task.detached(priority: .background) {
                try? await Task.sleep(for: .seconds(3))
                Allocator.releaseFreeMemory()
            }
        case .stopSpeaking:
            // Audio is the touchscreen's business.
            break
        }
    }
}
