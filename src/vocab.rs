//! Every closed vocabulary of the domain, defined once. The OpenAPI enums and
//! the labels and descriptions served to apps come from these definitions, so
//! they cannot drift apart. Descriptions are written for a person looking for
//! support.

use std::fmt;
use std::str::FromStr;

/// A value of some vocabulary that the service does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    pub value: String,
    pub allowed: Vec<&'static str>,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown value `{}`, expected one of: {}",
            self.value,
            self.allowed.join(", ")
        )
    }
}

impl std::error::Error for UnknownValue {}

/// What every vocabulary offers beside its enum.
pub trait Vocabulary: Sized + Copy + 'static {
    /// The taxonomy's machine name, e.g. `topics`.
    const NAME: &'static str;
    fn all() -> &'static [Self];
    fn as_str(self) -> &'static str;
    fn label(self) -> &'static str;
    fn description(self) -> &'static str;

    fn allowed() -> Vec<&'static str> {
        Self::all().iter().map(|v| v.as_str()).collect()
    }

    fn parse(value: &str) -> Result<Self, UnknownValue> {
        Self::all()
            .iter()
            .copied()
            .find(|v| v.as_str() == value)
            .ok_or_else(|| UnknownValue {
                value: value.to_owned(),
                allowed: Self::allowed(),
            })
    }
}

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident = $taxonomy:literal {
            // `$value` is a `tt`, not a `literal`: a captured `literal` reaches
            // derive macros wrapped in an invisible group, and utoipa then
            // ignores `#[serde(rename)]` and names the OpenAPI enum values
            // after the Rust variants.
            $( $variant:ident = $value:tt, $label:literal, $description:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $( #[doc = $description] #[serde(rename = $value)] $variant, )+
        }

        impl Vocabulary for $name {
            const NAME: &'static str = $taxonomy;
            fn all() -> &'static [Self] {
                &[$( $name::$variant, )+]
            }
            fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $value, )+ }
            }
            fn label(self) -> &'static str {
                match self { $( $name::$variant => $label, )+ }
            }
            fn description(self) -> &'static str {
                match self { $( $name::$variant => $description, )+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                <Self as Vocabulary>::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// What kind of organization publishes the listings.
    OrganizationKind = "organization_kinds" {
        Nonprofit = "nonprofit", "Nonprofit", "An established charity or nonprofit that may run structured programmes with trained staff.";
        Grassroots = "grassroots", "Grassroots initiative", "An informal, community-driven project, often run locally by volunteers for mutual aid.";
        PeerLed = "peer_led", "Peer-led space", "A space run by people with lived experience of mental-health challenges.";
        OnlineForum = "online_forum", "Online forum", "An internet-based community where people give and receive support remotely.";
        Professional = "professional", "Professional service", "A clinic, practice or service where qualified professionals guide the support.";
    }
}

vocabulary! {
    /// What a group is about.
    Topic = "topics" {
        Depression = "depression", "Depression", "For people living with low mood or depression.";
        Anxiety = "anxiety", "Anxiety", "For people living with worry, panic or anxiety.";
        Bipolar = "bipolar", "Bipolar", "For people living with bipolar disorder and its highs and lows.";
        Ptsd = "ptsd", "PTSD", "For people living with post-traumatic stress.";
        Schizophrenia = "schizophrenia", "Schizophrenia and psychosis", "For people living with schizophrenia or experiences of psychosis.";
        EatingDisorders = "eating_disorders", "Eating disorders", "For people affected by an eating disorder.";
        Ocd = "ocd", "OCD", "For people living with obsessive-compulsive disorder.";
        SelfHarm = "self_harm", "Self-harm", "For people affected by self-harm, in a space that understands.";
        Grief = "grief", "Grief and loss", "For people coping with the death of someone close.";
        Trauma = "trauma", "Trauma", "For survivors of traumatic experiences.";
        Abuse = "abuse", "Abuse recovery", "For survivors of abuse, at their own pace.";
        SubstanceUse = "substance_use", "Substance use", "For people changing their relationship with alcohol or drugs.";
        Addiction = "addiction", "Addiction recovery", "For people in recovery from an addiction, including 12-step and other peer formats.";
        Caregiving = "caregiving", "Caregiving", "For family members and friends who care for someone.";
        Loneliness = "loneliness", "Loneliness and isolation", "For anyone who feels alone and wants to connect with others.";
        General = "general", "General mental health", "For anyone going through emotional or psychological challenges, whatever the diagnosis.";
    }
}

vocabulary! {
    /// How a group meets.
    Format = "formats" {
        InPerson = "in_person", "In person", "Meets face to face at a physical place.";
        Online = "online", "Online", "Meets over the internet, so you can join from home.";
        Hybrid = "hybrid", "Hybrid", "Meets in a room with the option to join online.";
    }
}

vocabulary! {
    /// Whether a group can be joined at any time.
    Enrollment = "enrollment" {
        Rolling = "rolling", "Join any time", "New members are welcome at any meeting.";
        Cohort = "cohort", "Fixed dates", "The group runs from a start date to an end date with the same members; join before it starts.";
    }
}

vocabulary! {
    /// Who guides a group.
    Facilitation = "facilitation" {
        PeerLed = "peer_led", "Peer-led", "Led by people with lived experience of what the group is about.";
        Professional = "professional", "Professionally led", "Guided by a trained professional, such as a therapist, who encourages sharing.";
        CoFacilitated = "co_facilitated", "Co-facilitated", "Led together by a peer and a trained professional.";
    }
}

vocabulary! {
    /// Stages of recovery a group suits.
    RecoveryStage = "recovery_stages" {
        Moratorium = "moratorium", "Moratorium", "When everything feels overwhelming or hopeless; simply listening to others can ease the isolation.";
        Awareness = "awareness", "Awareness", "When you start to believe life can get better; hearing from people further along helps you picture it.";
        Preparation = "preparation", "Preparation", "When you work out what you need: trying coping tools, routines and small goals with others' encouragement.";
        Rebuilding = "rebuilding", "Rebuilding", "When you take real steps, like returning to work or mending relationships, with a steady place to check in.";
        Growth = "growth", "Growth", "When you find meaning beyond managing symptoms, and may give back as a mentor or leader.";
    }
}

vocabulary! {
    /// Kinds of support a group offers.
    SupportType = "support_types" {
        Emotional = "emotional", "Emotional support", "Compassion, concern and a listening ear.";
        Informational = "informational", "Informational support", "Knowledge, guidance and practical tips from people who have been there.";
        Instrumental = "instrumental", "Practical help", "Hands-on help or services, such as lifts or help with forms.";
        Appraisal = "appraisal", "Feedback", "Honest feedback that helps you make decisions.";
        Companionship = "companionship", "Companionship", "Time spent together so nobody has to feel alone.";
        Esteem = "esteem", "Encouragement", "Encouragement that builds confidence and self-worth.";
        Network = "network", "Belonging", "Feeling part of a wider group or community.";
        Validation = "validation", "Validation", "Having your feelings and experiences recognised as real and understandable.";
    }
}

vocabulary! {
    /// What taking part costs.
    CostKind = "cost_kinds" {
        Free = "free", "Free", "Taking part costs nothing.";
        Donation = "donation", "Donation", "Free to join; a donation is welcome but never expected.";
        SlidingScale = "sliding_scale", "Sliding scale", "You pay what you can afford within a range.";
        Paid = "paid", "Paid", "There is a set fee to take part.";
    }
}

vocabulary! {
    /// Who may see an address or a join link.
    Visibility = "visibilities" {
        Public = "public", "Public", "Shown to everyone.";
        AreaOnly = "area_only", "Area only", "Only the town and region are shown; the exact place is shared by the organizer.";
        OnRequest = "on_request", "On request", "Not shown; contact the organizer to get it.";
    }
}

vocabulary! {
    /// Publication state of a listing; only `published` is public.
    ListingStatus = "listing_statuses" {
        Draft = "draft", "Draft", "Being prepared; visible to its organization only.";
        Published = "published", "Published", "Visible to everyone.";
        Archived = "archived", "Archived", "No longer running; kept by its organization but hidden from the public.";
    }
}

vocabulary! {
    /// Whether an event takes place as planned.
    EventStatus = "event_statuses" {
        Scheduled = "scheduled", "Scheduled", "Taking place as planned.";
        Cancelled = "cancelled", "Cancelled", "Will not take place.";
        Postponed = "postponed", "Postponed", "Moved to a later date that is not fixed yet.";
    }
}

vocabulary! {
    /// What kind of link a resource is.
    ResourceKind = "resource_kinds" {
        Article = "article", "Article", "Something to read about a topic.";
        BlogPost = "blog_post", "Blog post", "A personal or organizational post, often from lived experience.";
        Guide = "guide", "Guide", "Step-by-step help with a situation or a decision.";
        Hotline = "hotline", "Helpline", "A phone, text or chat line you can reach out to.";
        Directory = "directory", "Directory", "A list of services or groups to search.";
        Video = "video", "Video", "Something to watch.";
        Podcast = "podcast", "Podcast", "Something to listen to.";
        App = "app", "App", "An app for your phone or computer.";
        Worksheet = "worksheet", "Worksheet", "An exercise to print or fill in at your own pace.";
        Website = "website", "Website", "A website with information and support.";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_and_rejects_unknown() {
        for t in Topic::all() {
            assert_eq!(t.as_str().parse::<Topic>().unwrap(), *t);
            assert_eq!(
                serde_json::to_value(t).unwrap(),
                serde_json::json!(t.as_str())
            );
        }
        let err = "sadness".parse::<Topic>().unwrap_err();
        assert!(err.allowed.contains(&"grief"));
    }
}
