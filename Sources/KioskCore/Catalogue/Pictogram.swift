/// The pictures a resident can choose by, drawn once in `ui/pictograms.svg`
/// (one symbol each, its `<title>` the text alternative). A catalogue names
/// one for every life event, department, item and bundle; the loader refuses
/// any other name, so a menu never shows an empty tile (docs/catalogue.md,
/// "Pictograms"). The screen's own buttons use the rest.
///
///     Pictogram.names.contains("rice_bowl")  // true
public enum Pictogram {
    /// The pictures meant for catalogue entries.
    public static let catalogue: [String] = [
        "baby", "elderly", "medical", "helping_hand", "wheelchair", "house", "briefcase", "chrysanthemum", "star_medal",
        "medical_insurance", "stethoscope", "police_badge", "government_building", "social_security_card", "enrol_form", "coins_hand",
        "money", "transfer", "pills", "rice_bowl", "first_aid", "care_home", "caregiver", "longevity_peach", "family", "birth_certificate",
        "household_register", "disability_card", "residence_certificate", "job_search", "household_cancel", "veteran_card", "old_couple",
        "shop", "bundle_birth", "bundle_disability", "bundle_after_death",
    ]

    /// The pictures of the screen's own buttons (next, back, scan, call staff …).
    public static let screen: [String] = [
        "star", "life_events", "search", "folder", "hotline", "exit", "back", "next", "scan", "add_page", "rescan", "delete", "cloud",
        "e_certificate", "printer", "sign_form", "yes", "no", "station", "post", "electronic", "submit", "face_very_satisfied",
        "face_satisfied", "face_neutral", "face_dissatisfied", "face_very_dissatisfied", "skip", "speaker", "stop", "call_staff",
        "glasses", "language", "again", "more", "calendar",
    ]

    /// Every name `ui/pictograms.svg` draws.
    public static let names = Set(catalogue + screen)
}
