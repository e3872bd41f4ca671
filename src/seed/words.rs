//! Wording of synthetic listings in the eight languages their text is
//! written in (en, es, fr, de, pt, pl, nl, it): topic names, name and summary
//! templates, and the sentences descriptions are built from.

use crate::vocab::{Facilitation, Format, Topic};

/// Languages synthetic text is written in.
pub const TEXT_LANGUAGES: &[&str] = &["en", "es", "fr", "de", "pt", "pl", "nl", "it"];

/// Topics in the order of [`Topic::all`]; one row per text language.
#[rustfmt::skip]
const TOPIC_TITLES: &[(&str, [&str; 16])] = &[
    ("en", ["Depression", "Anxiety", "Bipolar", "PTSD", "Psychosis and schizophrenia", "Eating disorders", "OCD", "Self-harm", "Grief and loss", "Trauma", "Abuse recovery", "Alcohol and drug use", "Addiction recovery", "Carers", "Loneliness", "Mental health"]),
    ("es", ["Depresión", "Ansiedad", "Trastorno bipolar", "Estrés postraumático", "Psicosis y esquizofrenia", "Trastornos alimentarios", "TOC", "Autolesiones", "Duelo", "Trauma", "Supervivientes de abuso", "Alcohol y drogas", "Recuperación de adicciones", "Cuidadores", "Soledad", "Salud mental"]),
    ("fr", ["Dépression", "Anxiété", "Trouble bipolaire", "Stress post-traumatique", "Psychose et schizophrénie", "Troubles alimentaires", "TOC", "Automutilation", "Deuil", "Traumatisme", "Violences subies", "Alcool et drogues", "Addictions", "Aidants", "Solitude", "Santé mentale"]),
    ("de", ["Depression", "Angst und Panik", "Bipolare Störung", "Posttraumatische Belastung", "Psychose und Schizophrenie", "Essstörungen", "Zwangsstörung", "Selbstverletzung", "Trauer", "Trauma", "Gewalterfahrung", "Alkohol und Drogen", "Sucht", "Pflegende Angehörige", "Einsamkeit", "Seelische Gesundheit"]),
    ("pt", ["Depressão", "Ansiedade", "Transtorno bipolar", "Stress pós-traumático", "Psicose e esquizofrenia", "Perturbações alimentares", "TOC", "Autolesão", "Luto", "Trauma", "Sobreviventes de abuso", "Álcool e drogas", "Dependências", "Cuidadores", "Solidão", "Saúde mental"]),
    ("pl", ["Depresja", "Lęk", "Choroba dwubiegunowa", "PTSD", "Psychoza i schizofrenia", "Zaburzenia odżywiania", "Nerwica natręctw", "Samookaleczenia", "Żałoba", "Trauma", "Doświadczenie przemocy", "Alkohol i narkotyki", "Uzależnienia", "Opiekunowie", "Samotność", "Zdrowie psychiczne"]),
    ("nl", ["Depressie", "Angst", "Bipolaire stoornis", "PTSS", "Psychose en schizofrenie", "Eetstoornissen", "Dwangstoornis", "Zelfbeschadiging", "Rouw en verlies", "Trauma", "Misbruik", "Alcohol en drugs", "Verslaving", "Mantelzorgers", "Eenzaamheid", "Mentale gezondheid"]),
    ("it", ["Depressione", "Ansia", "Disturbo bipolare", "Stress post-traumatico", "Psicosi e schizofrenia", "Disturbi alimentari", "DOC", "Autolesionismo", "Lutto", "Trauma", "Sopravvissuti ad abusi", "Alcol e droghe", "Dipendenze", "Caregiver", "Solitudine", "Salute mentale"]),
];

/// English topic words for the middle of a sentence ("Tuesday evening grief peer group").
#[rustfmt::skip]
const TOPIC_WORDS_EN: [&str; 16] = [
    "depression", "anxiety", "bipolar", "PTSD", "psychosis", "eating disorder", "OCD", "self-harm",
    "grief", "trauma", "abuse survivors'", "substance use", "recovery", "carers'", "loneliness",
    "mental health",
];

/// What one may be "living with", for topics where the phrase fits.
fn living_with(t: Topic) -> Option<&'static str> {
    match t {
        Topic::Depression => Some("depression"),
        Topic::Anxiety => Some("anxiety"),
        Topic::Bipolar => Some("bipolar"),
        Topic::Ptsd => Some("PTSD"),
        Topic::Schizophrenia => Some("psychosis"),
        Topic::Ocd => Some("OCD"),
        Topic::EatingDisorders => Some("an eating disorder"),
        _ => None,
    }
}

/// An ASCII slug for made-up domains and paths: accents folded
/// (`Mútuo` → `mutuo`, `Łódź` → `lodz`), other characters as dashes.
pub fn ascii_slug(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        let folded = match ch {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ą' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' => {
                "a"
            }
            'ç' | 'ć' | 'Ç' | 'Ć' => "c",
            'è' | 'é' | 'ê' | 'ë' | 'ę' | 'É' | 'È' | 'Ê' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'Í' | 'Î' => "i",
            'ł' | 'Ł' => "l",
            'ñ' | 'ń' | 'Ñ' | 'Ń' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'Ó' | 'Ö' | 'Ô' => "o",
            'ś' | 'Ś' => "s",
            'ß' => "ss",
            'ù' | 'ú' | 'û' | 'ü' | 'Ú' | 'Ü' => "u",
            'ź' | 'ż' | 'Ź' | 'Ż' => "z",
            c if c.is_ascii_alphanumeric() => {
                out.push(c.to_ascii_lowercase());
                continue;
            }
            _ => {
                if !out.is_empty() && !out.ends_with('-') {
                    out.push('-');
                }
                continue;
            }
        };
        out.push_str(folded);
    }
    out.trim_end_matches('-')
        .chars()
        .take(60)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

fn topic_index(t: Topic) -> usize {
    use crate::vocab::Vocabulary;
    Topic::all().iter().position(|x| *x == t).unwrap_or(0)
}

fn row(lang: &str) -> &'static [&'static str; 16] {
    &TOPIC_TITLES
        .iter()
        .find(|(l, _)| *l == lang)
        .unwrap_or(&TOPIC_TITLES[0])
        .1
}

/// A topic's title in a text language.
pub fn topic_title(lang: &str, t: Topic) -> &'static str {
    row(lang)[topic_index(t)]
}

/// An English topic word for the middle of a sentence.
pub fn topic_word_en(t: Topic) -> &'static str {
    TOPIC_WORDS_EN[topic_index(t)]
}

/// Weekday names, Monday first.
pub fn weekday(lang: &str, day: usize) -> &'static str {
    #[rustfmt::skip]
    const DAYS: &[(&str, [&str; 7])] = &[
        ("en", ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]),
        ("es", ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]),
        ("fr", ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]),
        ("de", ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]),
        ("pt", ["segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado", "domingo"]),
        ("pl", ["poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela"]),
        ("nl", ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]),
        ("it", ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"]),
    ];
    DAYS.iter().find(|(l, _)| *l == lang).unwrap_or(&DAYS[0]).1[day % 7]
}

/// Part of the day a meeting starts in (English): morning, afternoon, evening.
pub fn daypart_en(hour: u32) -> &'static str {
    match hour {
        0..=11 => "morning",
        12..=16 => "afternoon",
        _ => "evening",
    }
}

/// Values a name template may use.
pub struct NameParts<'a> {
    pub lang: &'a str,
    pub topic: Topic,
    pub city: &'a str,
    /// Monday = 0; the first meeting day of weekly groups.
    pub day: Option<usize>,
    pub hour: u32,
    pub format: Format,
    pub cohort_weeks: Option<u32>,
    pub audience: Option<&'a str>,
}

/// A group's name; `variant` picks the template.
pub fn group_name(p: &NameParts<'_>, variant: usize) -> String {
    let t = topic_title(p.lang, p.topic);
    let city = p.city;
    if let Some(weeks) = p.cohort_weeks {
        return match p.lang {
            "en" => {
                let a = if matches!(weeks, 8 | 11 | 18) {
                    "an"
                } else {
                    "a"
                };
                format!("{t}: {a} {weeks}-week peer course — {city}")
            }
            "es" => format!("{t}: ciclo de {weeks} semanas — {city}"),
            "fr" => format!("{t} : cycle de {weeks} semaines — {city}"),
            "de" => format!("{t}: Gruppe über {weeks} Wochen — {city}"),
            "pt" => format!("{t}: ciclo de {weeks} semanas — {city}"),
            "pl" => format!("{t}: cykl {weeks} spotkań — {city}"),
            "nl" => format!("{t}: cursus van {weeks} weken — {city}"),
            _ => format!("{t}: percorso di {weeks} settimane — {city}"),
        };
    }
    let online = p.format == Format::Online;
    match (p.lang, variant % 5) {
        ("en", 0) if online => format!("{t} circle (online)"),
        ("en", 0) => format!("{t} circle — {city}"),
        ("en", 1) => match p.day {
            Some(d) => format!(
                "{} {} {} peer group",
                weekday("en", d),
                daypart_en(p.hour),
                topic_word_en(p.topic)
            ),
            None => format!("Daily {} drop-in", topic_word_en(p.topic)),
        },
        ("en", 2) if online => format!("{t} online peer support"),
        ("en", 2) => format!("{t} support group ({city})"),
        ("en", 3) => match (p.audience, living_with(p.topic)) {
            (Some(a), _) => format!("{t} peer group for {a}"),
            (None, Some(w)) => format!("Living with {w}: peer support"),
            (None, None) => format!("{t} drop-in — {city}"),
        },
        ("en", _) if online => format!("Online {} peer support", topic_word_en(p.topic)),
        ("en", _) => format!("{city} {} peer support", topic_word_en(p.topic)),
        ("es", 0 | 3) => format!("Grupo de apoyo mutuo: {t} — {city}"),
        ("es", 1) if online => format!("{t}: grupo de apoyo en línea"),
        ("es", _) => format!("{t}: círculo de apoyo ({city})"),
        ("fr", 0 | 3) => format!("Groupe de parole {t} — {city}"),
        ("fr", 1) if online => format!("{t} : groupe d'entraide en ligne"),
        ("fr", _) => format!("{t} : cercle d'entraide entre pairs ({city})"),
        ("de", 0 | 3) => format!("Selbsthilfegruppe {t} — {city}"),
        ("de", 1) => match p.day {
            Some(d) => format!("{}sgruppe {t}", weekday("de", d)),
            None => format!("Offener Treff {t} (online)"),
        },
        ("de", _) => format!("Gesprächskreis {t} ({city})"),
        ("pt", 0 | 3) => format!("Grupo de apoio: {t} — {city}"),
        ("pt", 1) if online => format!("{t}: grupo de ajuda mútua online"),
        ("pt", _) => format!("Roda de conversa: {t} ({city})"),
        ("pl", 0 | 3) => format!("Grupa wsparcia: {t} — {city}"),
        ("pl", 1) if online => format!("{t}: grupa wsparcia online"),
        ("pl", _) => format!("Krąg wsparcia ({city}): {t}"),
        ("nl", 0 | 3) => format!("Lotgenotengroep {t} — {city}"),
        ("nl", 1) if online => format!("{t}: online lotgenotencontact"),
        ("nl", _) => format!("Praatgroep {t} ({city})"),
        (_, 0 | 3) => format!("Gruppo di auto mutuo aiuto: {t} — {city}"),
        (_, 1) if online => format!("{t}: gruppo di sostegno online"),
        (_, _) => format!("Cerchio di ascolto: {t} ({city})"),
    }
}

/// A one- or two-sentence summary.
pub fn group_summary(lang: &str, topic: Topic, variant: usize) -> String {
    let t = topic_title(lang, topic);
    let w = topic_word_en(topic);
    match (lang, variant % 6) {
        ("en", 0) => {
            format!("A warm, judgement-free space to talk about {w} with people who understand.")
        }
        ("en", 1) => format!(
            "{t}: come as you are, share if you want to, or just listen. You are not alone."
        ),
        ("en", 2) => format!("Peer support for anyone affected by {w}, at your own pace."),
        ("en", 3) => {
            "A steady place to check in, swap coping ideas and feel less alone.".to_owned()
        }
        ("en", 4) => {
            format!("We meet to listen, share what helps with {w}, and encourage each other.")
        }
        ("en", _) => format!("Small, friendly group for {w}; newcomers are always welcome."),
        ("es", 0 | 2 | 4) => {
            format!("{t}: un espacio seguro y sin juicios para compartir y escuchar.")
        }
        ("es", _) => {
            "Ven como eres: puedes hablar o solo escuchar. No estás solo ni sola.".to_owned()
        }
        ("fr", 0 | 2 | 4) => {
            format!("{t} : un espace bienveillant et sans jugement pour partager et écouter.")
        }
        ("fr", _) => {
            "Venez comme vous êtes : parler ou simplement écouter, à votre rythme.".to_owned()
        }
        ("de", 0 | 2 | 4) => {
            format!("{t}: ein geschützter Raum, um sich ohne Bewertung auszutauschen.")
        }
        ("de", _) => {
            "Kommen Sie, wie Sie sind: erzählen oder einfach zuhören, in Ihrem Tempo.".to_owned()
        }
        ("pt", 0 | 2 | 4) => {
            format!("{t}: um espaço seguro e sem julgamentos para partilhar e ouvir.")
        }
        ("pt", _) => "Venha como está: pode falar ou apenas ouvir. Não está sozinho.".to_owned(),
        ("pl", 0 | 2 | 4) => {
            format!("{t}: bezpieczna przestrzeń, by bez oceniania dzielić się i słuchać.")
        }
        ("pl", _) => "Przyjdź taki, jaki jesteś: możesz mówić albo tylko słuchać.".to_owned(),
        ("nl", 0 | 2 | 4) => {
            format!("{t}: een veilige plek om zonder oordeel te delen en te luisteren.")
        }
        ("nl", _) => {
            "Kom zoals je bent: vertel je verhaal of luister alleen, in je eigen tempo.".to_owned()
        }
        (_, 0 | 2 | 4) => {
            format!("{t}: uno spazio sicuro e senza giudizio per condividere e ascoltare.")
        }
        (_, _) => {
            "Vieni come sei: puoi parlare o semplicemente ascoltare. Non sei solo.".to_owned()
        }
    }
}

/// A description of several sentences.
pub fn group_description(
    lang: &str,
    topic: Topic,
    format: Format,
    facilitation: Facilitation,
    first_visit: bool,
) -> String {
    use crate::vocab::Vocabulary;
    let mut parts: Vec<String> = Vec::new();
    match lang {
        "en" => {
            parts.push(topic.description().to_owned());
            parts.push(
                match facilitation {
                    Facilitation::PeerLed => "The group is run by people with lived experience; nobody here will lecture you or tell you what to do.",
                    Facilitation::Professional => "Sessions are guided by a qualified therapist who keeps the space safe and encourages everyone to share.",
                    Facilitation::CoFacilitated => "Each meeting is led by a peer supporter together with a trained professional.",
                }
                .to_owned(),
            );
            parts.push(
                match format {
                    Format::InPerson => "We meet in a quiet room with tea and biscuits.",
                    Format::Online => {
                        "We meet online, so you can join from home; cameras are optional."
                    }
                    Format::Hybrid => {
                        "You can come to the room or join online, whichever suits you that week."
                    }
                }
                .to_owned(),
            );
            if first_visit {
                parts.push("If it's your first time, arrive ten minutes early and a volunteer will say hello and show you around.".to_owned());
            }
            parts.push(
                "Share as much or as little as you like: listening is taking part too.".to_owned(),
            );
        }
        "es" => {
            parts.push(format!(
                "Grupo de ayuda mutua sobre {}.",
                topic_title(lang, topic).to_lowercase()
            ));
            parts.push(
                match facilitation {
                    Facilitation::PeerLed => "Lo coordinan personas con experiencia propia.",
                    Facilitation::Professional => {
                        "Lo guía una psicóloga que cuida el espacio y anima a compartir."
                    }
                    Facilitation::CoFacilitated => "Lo coordinan juntos un par y un profesional.",
                }
                .to_owned(),
            );
            parts.push(
                "Puedes hablar o solo escuchar; lo que se comparte aquí, aquí se queda.".to_owned(),
            );
        }
        "fr" => {
            parts.push(format!(
                "Groupe d'entraide autour de : {}.",
                topic_title(lang, topic).to_lowercase()
            ));
            parts.push(match facilitation {
                Facilitation::PeerLed => "Il est animé par des pairs qui ont vécu des situations proches.",
                Facilitation::Professional => "Il est animé par une psychologue qui veille au cadre et encourage la parole.",
                Facilitation::CoFacilitated => "Il est co-animé par une paire aidante et un professionnel.",
            }.to_owned());
            parts
                .push("Chacun parle s'il le souhaite ; écouter, c'est déjà participer.".to_owned());
        }
        "de" => {
            parts.push(format!(
                "Selbsthilfe zum Thema {}.",
                topic_title(lang, topic)
            ));
            parts.push(match facilitation {
                Facilitation::PeerLed => "Die Gruppe wird von Betroffenen für Betroffene geleitet.",
                Facilitation::Professional => "Eine Psychotherapeutin begleitet die Treffen und achtet auf einen sicheren Rahmen.",
                Facilitation::CoFacilitated => "Eine Genesungsbegleiterin und eine Fachkraft leiten die Gruppe gemeinsam.",
            }.to_owned());
            parts.push("Niemand muss etwas erzählen; Zuhören ist auch Teilnehmen.".to_owned());
        }
        "pt" => {
            parts.push(format!(
                "Grupo de ajuda mútua sobre {}.",
                topic_title(lang, topic).to_lowercase()
            ));
            parts.push(
                match facilitation {
                    Facilitation::PeerLed => "É dinamizado por pessoas com experiência vivida.",
                    Facilitation::Professional => {
                        "É orientado por uma psicóloga que cuida do espaço e incentiva a partilha."
                    }
                    Facilitation::CoFacilitated => {
                        "É dinamizado em conjunto por um par e um profissional."
                    }
                }
                .to_owned(),
            );
            parts.push("Pode falar ou apenas ouvir; o que se partilha aqui fica aqui.".to_owned());
        }
        "pl" => {
            parts.push(format!("Grupa wsparcia: {}.", topic_title(lang, topic)));
            parts.push(
                match facilitation {
                    Facilitation::PeerLed => "Prowadzą ją osoby z własnym doświadczeniem.",
                    Facilitation::Professional => {
                        "Spotkania prowadzi psycholożka, która dba o bezpieczną atmosferę."
                    }
                    Facilitation::CoFacilitated => {
                        "Grupę prowadzą wspólnie osoba z doświadczeniem i terapeuta."
                    }
                }
                .to_owned(),
            );
            parts.push(
                "Możesz mówić albo tylko słuchać; to, co tu usłyszysz, zostaje w grupie."
                    .to_owned(),
            );
        }
        "nl" => {
            parts.push(format!(
                "Lotgenotencontact over {}.",
                topic_title(lang, topic).to_lowercase()
            ));
            parts.push(
                match facilitation {
                    Facilitation::PeerLed => "De groep wordt geleid door ervaringsdeskundigen.",
                    Facilitation::Professional => {
                        "Een psycholoog begeleidt de bijeenkomsten en bewaakt een veilige sfeer."
                    }
                    Facilitation::CoFacilitated => {
                        "Een ervaringsdeskundige en een professional begeleiden de groep samen."
                    }
                }
                .to_owned(),
            );
            parts.push("Je hoeft niets te vertellen; luisteren is ook meedoen.".to_owned());
        }
        _ => {
            parts.push(format!(
                "Gruppo di auto mutuo aiuto su: {}.",
                topic_title(lang, topic).to_lowercase()
            ));
            parts.push(
                match facilitation {
                    Facilitation::PeerLed => "È condotto da persone con esperienza diretta.",
                    Facilitation::Professional => {
                        "È condotto da una psicologa che cura il clima del gruppo."
                    }
                    Facilitation::CoFacilitated => {
                        "È condotto insieme da un facilitatore alla pari e da un professionista."
                    }
                }
                .to_owned(),
            );
            parts.push(
                "Puoi parlare o solo ascoltare; ciò che si condivide resta nel gruppo.".to_owned(),
            );
        }
    }
    parts.join(" ")
}

/// The group's confidentiality promise.
pub fn confidentiality(lang: &str) -> &'static str {
    match lang {
        "es" => "Lo que se comparte en el grupo se queda en el grupo.",
        "fr" => "Ce qui se dit dans le groupe reste dans le groupe.",
        "de" => "Was in der Gruppe gesagt wird, bleibt in der Gruppe.",
        "pt" => "O que se partilha no grupo fica no grupo.",
        "pl" => "To, co zostaje powiedziane w grupie, zostaje w grupie.",
        "nl" => "Wat in de groep gedeeld wordt, blijft in de groep.",
        "it" => "Ciò che si condivide nel gruppo resta nel gruppo.",
        _ => "What is shared in the group stays in the group. We never record sessions.",
    }
}

/// How to get a join link that is not public.
pub fn join_instructions(lang: &str) -> &'static str {
    match lang {
        "es" => "Escríbenos y te enviaremos el enlace antes de la sesión.",
        "fr" => "Écrivez-nous et nous vous enverrons le lien avant la séance.",
        "de" => "Schreiben Sie uns, dann schicken wir Ihnen den Link vor dem Treffen.",
        "pt" => "Escreva-nos e enviamos o link antes da sessão.",
        "pl" => "Napisz do nas, a link wyślemy przed spotkaniem.",
        "nl" => "Mail ons en we sturen je de link voor de bijeenkomst.",
        "it" => "Scrivici e ti invieremo il link prima dell'incontro.",
        _ => "Email us and we'll send the link before the session.",
    }
}
