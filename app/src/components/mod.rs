pub mod icons;
pub mod layout;
