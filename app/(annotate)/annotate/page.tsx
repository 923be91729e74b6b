import { Workspace } from "./workspace";

export default function AnnotatePage() {
  return <Workspace />;
}
